package loadtests

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// connCounter counts the connections a test server accepted.
type connCounter struct{ n atomic.Int64 }

func (c *connCounter) state(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		c.n.Add(1)
	}
}

func serverWith(t *testing.T, h http.HandlerFunc, tune func(*http.Server)) (*httptest.Server, *connCounter) {
	t.Helper()
	cc := &connCounter{}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = cc.state
	if tune != nil {
		tune(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, cc
}

// oneVU runs f once on one VU against url.
func oneVU(t *testing.T, url string, opts Options, f func(vu *VU) error) *metrics.Summary {
	t.Helper()
	return runPlan(t, url, Scenario{Executor: PerVUIterations{VUs: 1, Iterations: 1}, User: Func("once", f)}, opts)
}

func TestVUKeepsItsConnectionAlive(t *testing.T) {
	srv, conns := serverWith(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }, nil)
	s := oneVU(t, srv.URL, Options{}, func(vu *VU) error {
		for range 20 {
			if r := vu.Get("/"); r.Status != 200 || string(r.Body) != "ok" {
				return fmt.Errorf("got %d %q", r.Status, r.Body)
			}
		}
		return nil
	})
	if got := conns.n.Load(); got != 1 {
		t.Errorf("connections: got %d, want 1 (keep-alive)", got)
	}
	r := s.Requests["GET /"]
	if r.Count != 20 || r.Failed != 0 {
		t.Fatalf("requests: got %d (%d failed), want 20 (0 failed); errors %+v", r.Count, r.Failed, s.Errors)
	}
	// Only the first request paid for connecting.
	if got := r.Connecting.Percentile(90); got != 0 {
		t.Errorf("p90 connecting: got %v, want 0 (reused)", got)
	}
	if got := r.Connecting.Max(); got == 0 {
		t.Error("max connecting: got 0, want the first dial's time")
	}
	if r.Waiting.Count() != 20 || r.BytesReceived == 0 || r.BytesSent == 0 {
		t.Errorf("phases and bytes: waiting %d values, %d bytes in, %d out", r.Waiting.Count(), r.BytesReceived, r.BytesSent)
	}
}

func TestVUConnectionsAcrossServerBehaviours(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 100_000)
	cases := []struct {
		name      string
		handler   http.HandlerFunc
		tune      func(*http.Server)
		pause     time.Duration // between the two requests
		wantConns int64
		wantBody  string
	}{
		// The server drops idle connections after 30ms: the VU notices and
		// dials again instead of failing.
		{"server closed the idle connection", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) },
			func(s *http.Server) { s.IdleTimeout = 30 * time.Millisecond }, 150 * time.Millisecond, 2, "ok"},
		// Connection: close on every response: a new connection each time.
		{"connection close", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		}, nil, 0, 2, "bye"},
		// A megabyte in chunks, no Content-Length.
		{"chunked body", func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < len(big); i += 64 << 10 {
				w.Write(big[i:min(i+64<<10, len(big))])
				w.(http.Flusher).Flush()
			}
		}, nil, 0, 1, string(big)},
		// A redirect is followed to its target.
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/" {
				http.Redirect(w, r, "/there", http.StatusFound)
				return
			}
			w.Write([]byte("arrived at " + r.URL.Path))
		}, nil, 0, 1, "arrived at /there"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, conns := serverWith(t, tc.handler, tc.tune)
			s := oneVU(t, srv.URL, Options{}, func(vu *VU) error {
				for i := range 2 {
					r := vu.Get("/")
					if r.Err != nil || r.Status != 200 || string(r.Body) != tc.wantBody {
						return fmt.Errorf("request %d: %d, %d bytes, %v", i+1, r.Status, len(r.Body), r.Err)
					}
					if err := vu.Sleep(tc.pause); err != nil {
						return err
					}
				}
				return nil
			})
			if len(s.Errors) > 0 {
				t.Fatalf("errors: %+v", s.Errors)
			}
			if got := conns.n.Load(); got != tc.wantConns {
				t.Errorf("connections: got %d, want %d", got, tc.wantConns)
			}
			if got := s.Total().BytesReceived; got < int64(2*len(tc.wantBody)) {
				t.Errorf("bytes received: got %d, want at least %d", got, 2*len(tc.wantBody))
			}
		})
	}
}

func TestCookiesStickToTheirVU(t *testing.T) {
	srv, _ := serverWith(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: r.URL.Query().Get("user"), Path: "/"})
			return
		}
		c, err := r.Cookie("session")
		if err != nil {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(c.Value))
	}, nil)
	var mu sync.Mutex
	seen := map[int]string{}
	s := runPlan(t, srv.URL, Scenario{
		Executor: PerVUIterations{VUs: 4, Iterations: 3},
		User: User{
			OnStart: func(vu *VU) error {
				vu.Get(fmt.Sprintf("/login?user=u%d", vu.ID), Name("GET /login"))
				return nil
			},
			Tasks: []Task{{Name: "me", Run: func(vu *VU) error {
				r := vu.Get("/me")
				mu.Lock()
				defer mu.Unlock()
				if prev, ok := seen[vu.ID]; ok && prev != string(r.Body) {
					return fmt.Errorf("VU %d was %q, now %q", vu.ID, prev, r.Body)
				}
				seen[vu.ID] = string(r.Body)
				vu.Check("own session", string(r.Body) == fmt.Sprintf("u%d", vu.ID))
				return nil
			}}},
		},
	}, Options{})
	if c := s.Checks["own session"]; c == nil || c.Pass != 12 || c.Fail != 0 {
		t.Errorf("own session checks: got %+v, want 12 passes", c)
	}
	if got := len(s.Errors); got != 0 {
		t.Errorf("errors: %+v", s.Errors)
	}
}

func TestFailureKinds(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + closed.Addr().String()
	closed.Close()

	hijack := func(linger bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			c, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			if linger {
				c.(*net.TCPConn).SetLinger(0) // close with RST
			}
			c.Close()
		}
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
		kind    string
		message string
	}{
		{"refused", nil, "refused", "connection refused"},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}, "timeout", "request timeout"},
		{"reset", hijack(true), "reset", "connection reset by peer"},
		{"closed without answer", hijack(false), "eof", "server closed the connection"},
		{"status", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":"database unavailable","request_id":"x"}`))
		}, "status 503", "503 Service Unavailable: database unavailable"},
	}
	for _, kind := range []string{ClientLean, ClientStd} {
		for _, tc := range cases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				url := refusedURL
				if tc.handler != nil {
					srv, _ := serverWith(t, tc.handler, nil)
					url = srv.URL
				}
				s := oneVU(t, url, Options{RequestTimeout: 200 * time.Millisecond, HTTPClient: kind}, func(vu *VU) error {
					vu.Post("/x", "body")
					return nil
				})
				r := s.Requests["POST /x"]
				if r == nil || r.Failed != 1 || r.Failures[tc.kind] != 1 {
					t.Fatalf("failures: got %+v, want one %q", r, tc.kind)
				}
				if len(s.Errors) != 1 || s.Errors[0].Message != tc.message || s.Errors[0].RequestID == "" {
					t.Errorf("error groups: got %+v, want one with message %q and a request id", s.Errors, tc.message)
				}
			})
		}
	}
}

func TestRequestIDsAreFreshAndSent(t *testing.T) {
	srv := newCountingServer(t)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	var sent []string
	oneVU(t, srv.URL, Options{}, func(vu *VU) error {
		for range 50 {
			sent = append(sent, vu.Get("/").RequestID)
		}
		return nil
	})
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if got := len(srv.ids); got != 50 {
		t.Errorf("distinct ids the server saw: got %d, want 50", got)
	}
	for _, id := range sent {
		if srv.ids[id] != 1 {
			t.Errorf("id %q: the server saw it %d times, want once", id, srv.ids[id])
		}
		if !uuid.MatchString(id) {
			t.Errorf("id %q is not a version 4 UUID", id)
		}
	}
}

func TestInterruptedRequestsAreNotFailures(t *testing.T) {
	srv, _ := serverWith(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}, nil)
	s := runPlan(t, srv.URL, Scenario{
		Executor:     ConstantVUs{VUs: 2, Duration: 100 * time.Millisecond},
		GracefulStop: -1,
		User:         Func("slow", func(vu *VU) error { vu.Get("/"); return nil }),
	}, Options{})
	if s.Iterations.Interrupted != 2 || s.Total().Count != 0 || len(s.Errors) != 0 {
		t.Errorf("got %d interrupted, %d requests, errors %+v; want 2 interrupted and nothing recorded",
			s.Iterations.Interrupted, s.Total().Count, s.Errors)
	}
}

func TestVUStopsRequestingOnCancelledContext(t *testing.T) {
	srv := newCountingServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := Run(ctx, Plan{Name: "cancelled", Scenarios: []Scenario{{
		Name: "s", Executor: ConstantVUs{VUs: 2, Duration: time.Minute},
		User: Func("get", func(vu *VU) error { vu.Get("/"); return nil }),
	}}}, Options{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if s.Total().Count != 0 || srv.requests.Load() != 0 {
		t.Errorf("requests after a stop before the start: got %d recorded, %d served; want none", s.Total().Count, srv.requests.Load())
	}
	if !strings.Contains(s.Plan, "cancelled") {
		t.Errorf("plan name: got %q", s.Plan)
	}
}

func TestClassifyGroupsByCause(t *testing.T) {
	opErr := func(port int) error {
		return &net.OpError{Op: "read", Net: "tcp",
			Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port},
			Addr:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6400},
			Err:    fmt.Errorf("protocol trouble")}
	}
	k1, m1 := classify(opErr(40001))
	k2, m2 := classify(opErr(40002))
	if k1 != "other" || m1 != m2 || strings.Contains(m1, "40001") {
		t.Errorf("got %q %q and %q %q; want one message without ports", k1, m1, k2, m2)
	}
}

func TestHTTPSEndpoint(t *testing.T) {
	var conns connCounter
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			http.Error(w, "plain", http.StatusBadRequest)
			return
		}
		w.Write([]byte("secure"))
	}))
	srv.Config.ConnState = conns.state
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tlsConfig := srv.Client().Transport.(*http.Transport).TLSClientConfig
	s := oneVU(t, srv.URL, Options{TLSConfig: tlsConfig}, func(vu *VU) error {
		for range 5 {
			if r := vu.Get("/"); r.Status != 200 || string(r.Body) != "secure" {
				return fmt.Errorf("got %d %q %v", r.Status, r.Body, r.Err)
			}
			if err := vu.Sleep(300 * time.Millisecond); err != nil { // idle: the liveness check meets what TLS sent meanwhile
				return err
			}
		}
		return nil
	})
	if len(s.Errors) > 0 || s.Total().Count != 5 {
		t.Fatalf("requests %d, errors %+v", s.Total().Count, s.Errors)
	}
	if got := conns.n.Load(); got != 1 {
		t.Errorf("TLS connections: got %d, want 1 (kept alive, session tickets notwithstanding)", got)
	}
	// Without the test CA the handshake fails, and says so.
	s = oneVU(t, srv.URL, Options{}, func(vu *VU) error { vu.Get("/"); return nil })
	if len(s.Errors) != 1 || !strings.Contains(s.Errors[0].Message, "certificate") {
		t.Errorf("errors without the CA: got %+v, want a certificate error", s.Errors)
	}
}
