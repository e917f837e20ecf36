package loadtests

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// wireEnv is what one wire case runs against: server a on 127.0.0.1,
// server b on the same handler reached as localhost (another host for
// redirects), and what they saw.
type wireEnv struct {
	a, b     *httptest.Server
	aURL     string
	bURL     string // b as http(s)://localhost:port
	tls      *tls.Config
	proxy    func(*url.URL) (*url.URL, error)
	conns    atomic.Int64  // connections a and b accepted
	idleShut chan struct{} // a value each time a closed an idle connection (closeIdle cases)
	mu       sync.Mutex
	seen     []string
}

func (env *wireEnv) saw(format string, args ...any) {
	env.mu.Lock()
	defer env.mu.Unlock()
	env.seen = append(env.seen, fmt.Sprintf(format, args...))
}

func (env *wireEnv) sawAll() string {
	env.mu.Lock()
	defer env.mu.Unlock()
	return strings.Join(env.seen, "; ")
}

// wireResult is what a client got for one request.
type wireResult struct {
	status  int
	body    string
	trailer http.Header
	err     error
}

func (r wireResult) String() string {
	if r.err != nil {
		kind, msg := classify(r.err)
		return "error " + kind + ": " + msg
	}
	return fmt.Sprintf("%d %q", r.status, r.body)
}

// sender sends one request through the client under test.
type sender func(method, url string, h http.Header, body []byte) wireResult

// refSender is net/http's own client, the reference behaviour: a cookie jar,
// the proxy, redirects followed as ours.
func refSender(t *testing.T, env *wireEnv) sender {
	tr := &http.Transport{TLSClientConfig: env.tls, DisableCompression: true}
	if env.proxy != nil {
		tr.Proxy = func(r *http.Request) (*url.URL, error) { return env.proxy(r.URL) }
	}
	t.Cleanup(tr.CloseIdleConnections)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Transport: tr, Jar: jar, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return func(method, u string, h http.Header, body []byte) wireResult {
		var rd io.Reader
		if body != nil {
			rd = strings.NewReader(string(body))
		}
		req, err := http.NewRequest(method, u, rd)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range h {
			req.Header[k] = vs
		}
		resp, err := hc.Do(req)
		if err != nil {
			return wireResult{err: err}
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return wireResult{err: err}
		}
		return wireResult{status: resp.StatusCode, body: string(b), trailer: resp.Trailer}
	}
}

// ourSender is one of the engine's clients, chosen as a run would choose
// it when kind is asked for.
func ourSender(kind string) func(t *testing.T, env *wireEnv) sender {
	return func(t *testing.T, env *wireEnv) sender {
		endpoint, _ := url.Parse(env.aURL)
		use, _ := chooseClient(kind, endpoint, env.proxy)
		epoch := time.Now()
		c := newHTTPClient(clientConfig{kind: use, tls: env.tls, proxy: env.proxy},
			func() int64 { return int64(time.Since(epoch)) + 1 }, newBuffers())
		t.Cleanup(c.closeIdle)
		return func(method, u string, h http.Header, body []byte) wireResult {
			req, err := http.NewRequestWithContext(context.Background(), method, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range h {
				req.Header[k] = vs
			}
			var tm timing
			r, err := c.do(context.Background(), time.Now().Add(5*time.Second), req, body, &tm)
			if err != nil {
				return wireResult{err: err}
			}
			return wireResult{status: r.resp.StatusCode, body: string(r.body), trailer: r.resp.Trailer}
		}
	}
}

// wireCase is one behaviour on the wire; want is what net/http's client
// does, and every client must do the same.
type wireCase struct {
	name      string
	tls       bool
	closeIdle bool // a closes each connection as soon as it is idle, without a word
	proxied   bool // requests go through a forward proxy
	handler   func(env *wireEnv) http.HandlerFunc
	run       func(env *wireEnv, send sender) string
	want      string
}

var wireCases = []wireCase{
	{
		// The response to HEAD has a Content-Length and no body: nothing to
		// read, and the connection stays in step for the GET.
		name: "HEAD with a Content-Length",
		handler: func(*wireEnv) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "5")
				w.Write([]byte("hello"))
			}
		},
		run: func(env *wireEnv, send sender) string {
			return fmt.Sprintf("HEAD %v; GET %v; connections %d",
				send("HEAD", env.aURL+"/", nil, nil), send("GET", env.aURL+"/", nil, nil), env.conns.Load())
		},
		want: `HEAD 200 ""; GET 200 "hello"; connections 1`,
	},
	{
		// Expect: 100-continue: the server says 100 Continue when the
		// handler reads the body, then answers.
		name: "100 Continue",
		handler: func(*wireEnv) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				w.WriteHeader(http.StatusCreated)
				w.Write(b)
			}
		},
		run: func(env *wireEnv, send sender) string {
			h := http.Header{"Expect": {"100-continue"}}
			return fmt.Sprintf("%v; %v", send("POST", env.aURL+"/", h, []byte("abc")), send("GET", env.aURL+"/", nil, nil))
		},
		want: `201 "abc"; 201 ""`,
	},
	{
		// 103 Early Hints before the page.
		name: "103 Early Hints",
		handler: func(*wireEnv) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "</s.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusOK)
				w.Write([]byte("page"))
			}
		},
		run: func(env *wireEnv, send sender) string {
			return fmt.Sprintf("%v; %v", send("GET", env.aURL+"/", nil, nil), send("GET", env.aURL+"/", nil, nil))
		},
		want: `200 "page"; 200 "page"`,
	},
	{
		// 204 and 304 have no body; the connection carries on.
		name: "204 and 304 without a body",
		handler: func(*wireEnv) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/204":
					w.WriteHeader(http.StatusNoContent)
				case "/304":
					w.Header().Set("ETag", `"v1"`)
					w.WriteHeader(http.StatusNotModified)
				default:
					w.Write([]byte("ok"))
				}
			}
		},
		run: func(env *wireEnv, send sender) string {
			return fmt.Sprintf("%v; %v; %v; connections %d", send("GET", env.aURL+"/204", nil, nil),
				send("GET", env.aURL+"/304", nil, nil), send("GET", env.aURL+"/", nil, nil), env.conns.Load())
		},
		want: `204 ""; 304 ""; 200 "ok"; connections 1`,
	},
	{
		// A chunked body with a trailer announced and sent after it.
		name: "chunked with trailers",
		handler: func(*wireEnv) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Trailer", "X-Sum")
				w.Write([]byte("ab"))
				w.(http.Flusher).Flush()
				w.Write([]byte("cd"))
				w.Header().Set("X-Sum", "abcd")
			}
		},
		run: func(env *wireEnv, send sender) string {
			r := send("GET", env.aURL+"/", nil, nil)
			return fmt.Sprintf("%v trailer %q; %v; connections %d", r, r.trailer.Get("X-Sum"),
				send("GET", env.aURL+"/", nil, nil), env.conns.Load())
		},
		want: `200 "abcd" trailer "abcd"; 200 "abcd"; connections 1`,
	},
	{
		// Connection: close on every response: a connection each.
		name: "Connection: close",
		handler: func(*wireEnv) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Connection", "close")
				w.Write([]byte("bye"))
			}
		},
		run: func(env *wireEnv, send sender) string {
			return fmt.Sprintf("%v; %v; connections %d",
				send("GET", env.aURL+"/", nil, nil), send("GET", env.aURL+"/", nil, nil), env.conns.Load())
		},
		want: `200 "bye"; 200 "bye"; connections 2`,
	},
	{
		// 307 sends the POST again with its body and headers; 303 turns it
		// into a GET without them.
		name: "307 with a body, 303 without",
		handler: func(*wireEnv) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/307":
					io.Copy(io.Discard, r.Body)
					http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
				case "/303":
					io.Copy(io.Discard, r.Body)
					http.Redirect(w, r, "/new", http.StatusSeeOther)
				default:
					b, _ := io.ReadAll(r.Body)
					fmt.Fprintf(w, "%s %s type=%s", r.Method, b, r.Header.Get("Content-Type"))
				}
			}
		},
		run: func(env *wireEnv, send sender) string {
			h := http.Header{"Content-Type": {"text/plain"}}
			return fmt.Sprintf("307 %v; 303 %v", send("POST", env.aURL+"/307", h, []byte("payload")),
				send("POST", env.aURL+"/303", h, []byte("payload")))
		},
		want: `307 200 "POST payload type=text/plain"; 303 200 "GET  type="`,
	},
	{
		// Credentials set by the scenario go on to the same host and stop
		// at another; other headers go on.
		name: "cross-host redirect",
		handler: func(env *wireEnv) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/start":
					http.Redirect(w, r, "/same", http.StatusFound)
					return
				case "/same":
					http.Redirect(w, r, env.bURL+"/other", http.StatusFound)
				}
				env.saw("%s auth=%q cookie=%q trace=%q", r.URL.Path,
					r.Header.Get("Authorization"), r.Header.Get("Cookie"), r.Header.Get("X-Trace"))
				if r.URL.Path == "/other" {
					w.Write([]byte("other"))
				}
			}
		},
		run: func(env *wireEnv, send sender) string {
			h := http.Header{"Authorization": {"Bearer t"}, "Cookie": {"c=1"}, "X-Trace": {"7"}}
			return fmt.Sprintf("%v; %s", send("GET", env.aURL+"/start", h, nil), env.sawAll())
		},
		want: `200 "other"; /same auth="Bearer t" cookie="c=1" trace="7"; /other auth="" cookie="" trace="7"`,
	},
	{
		// The second request on a connection is dropped unanswered: the GET
		// is sent again on a new connection, with the Cookie the scenario
		// set.
		name: "retry keeps the scenario's Cookie",
		handler: func(env *wireEnv) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if r.Context().Value(connRequests{}).(*atomic.Int64).Add(1) == 2 {
					c, _, _ := w.(http.Hijacker).Hijack()
					c.Close()
					return
				}
				fmt.Fprintf(w, "cookie=%s", r.Header.Get("Cookie"))
			}
		},
		run: func(env *wireEnv, send sender) string {
			h := http.Header{"Cookie": {"c=1"}}
			return fmt.Sprintf("%v; %v; connections %d",
				send("GET", env.aURL+"/", h, nil), send("GET", env.aURL+"/", h, nil), env.conns.Load())
		},
		want: `200 "cookie=c=1"; 200 "cookie=c=1"; connections 2`,
	},
	{
		// The server closed the idle keep-alive connection: a POST, which
		// must not be sent twice, goes on a new one.
		name:      "stale keep-alive POST",
		closeIdle: true,
		handler:   echoMethod,
		run:       postAfterIdleClose,
		want:      `201 "POST a"; 201 "POST b"; connections 2`,
	},
	{
		// The same over TLS: the server's close_notify waits on the idle
		// connection, which must not pass for alive.
		name:      "TLS close_notify",
		tls:       true,
		closeIdle: true,
		handler:   echoMethod,
		run:       postAfterIdleClose,
		want:      `201 "POST a"; 201 "POST b"; connections 2`,
	},
	{
		// A forward proxy carries the requests.
		name:    "proxy",
		proxied: true,
		handler: echoMethod,
		run: func(env *wireEnv, send sender) string {
			return fmt.Sprintf("%v; %v; %s", send("POST", env.aURL+"/x", nil, []byte("a")),
				send("GET", env.aURL+"/y", nil, nil), env.sawAll())
		},
		want: `201 "POST a"; 201 "GET "; proxy POST /x; proxy GET /y`,
	},
}

// connRequests is the context key of a server connection's request count.
type connRequests struct{}

func echoMethod(*wireEnv) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s", r.Method, b)
	}
}

func postAfterIdleClose(env *wireEnv, send sender) string {
	first := send("POST", env.aURL+"/", nil, []byte("a"))
	<-env.idleShut
	// Let the close land; net/http's reader goroutine has to see it.
	time.Sleep(20 * time.Millisecond)
	second := send("POST", env.aURL+"/", nil, []byte("b"))
	return fmt.Sprintf("%v; %v; connections %d", first, second, env.conns.Load())
}

func newWireEnv(t *testing.T, tc wireCase) *wireEnv {
	t.Helper()
	env := &wireEnv{idleShut: make(chan struct{}, 4)}
	start := func(closeIdle bool) *httptest.Server {
		srv := httptest.NewUnstartedServer(tc.handler(env))
		srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connRequests{}, new(atomic.Int64))
		}
		srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
			switch {
			case s == http.StateNew:
				env.conns.Add(1)
			case s == http.StateIdle && closeIdle:
				c.Close() // on TLS, with a close_notify
				env.idleShut <- struct{}{}
			}
		}
		srv.Config.ErrorLog = nil
		if tc.tls {
			srv.StartTLS()
		} else {
			srv.Start()
		}
		t.Cleanup(srv.Close)
		return srv
	}
	env.a, env.b = start(tc.closeIdle), start(false)
	env.aURL = env.a.URL
	env.bURL = strings.Replace(env.b.URL, "127.0.0.1", "localhost", 1)
	if tc.tls {
		env.tls = env.a.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		// b's certificate is the same test certificate, valid for both names.
	}
	if tc.proxied {
		forward := &http.Transport{}
		t.Cleanup(forward.CloseIdleConnections)
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !r.URL.IsAbs() {
				http.Error(w, "not a proxy request", http.StatusBadRequest)
				return
			}
			env.saw("proxy %s %s", r.Method, r.URL.Path)
			out := r.Clone(r.Context())
			out.RequestURI = ""
			resp, err := forward.RoundTrip(out)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			for k, vs := range resp.Header {
				w.Header()[k] = vs
			}
			w.WriteHeader(resp.StatusCode)
			io.Copy(w, resp.Body)
		}))
		t.Cleanup(proxy.Close)
		pu, _ := url.Parse(proxy.URL)
		env.proxy = func(*url.URL) (*url.URL, error) { return pu, nil }
	}
	return env
}

// TestWire runs each wire behaviour against net/http's client, which must
// do what the case wants (it is the reference), and against the engine's
// lean and net/http clients, which must do the same.
func TestWire(t *testing.T) {
	clients := []struct {
		name string
		new  func(t *testing.T, env *wireEnv) sender
	}{
		{"net-http", refSender},
		{ClientLean, ourSender(ClientLean)},
		{ClientStd, ourSender(ClientStd)},
	}
	for _, tc := range wireCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, cl := range clients {
				t.Run(cl.name, func(t *testing.T) {
					env := newWireEnv(t, tc)
					if got := tc.run(env, cl.new(t, env)); got != tc.want {
						t.Errorf("got  %s\nwant %s", got, tc.want)
					}
				})
			}
		})
	}
}
