package acceptance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/apiproc"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
)

func TestMain(m *testing.M) { os.Exit(backingtest.RunTests(m)) }

// The API started with MAX_CONNS=200 holds 150 connections and serves every one of them. At 400
// the kernel still completes every handshake and every connection is served, but to serve one
// beyond the limit the server closes the longest-idle keep-alive connection: it holds 200 at the
// end, and the check fails on the connections the server closed.
func TestInstanceHoldsConnections(t *testing.T) {
	const maxConns = 200
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	api := startAPI(ctx, t, apiproc.Options{Env: map[string]string{"MAX_CONNS": strconv.Itoa(maxConns)}})

	// The server says at start which knobs bound its connections.
	for _, want := range []string{`"msg":"file descriptor limit"`, `"max_conns":200`} {
		if !bytes.Contains(api.Logs(), []byte(want)) {
			t.Errorf("start-up logs lack %s", want)
		}
	}

	tests := []struct {
		name       string
		n          int
		wantPassed bool
	}{
		// Under the limit: every connection established and served.
		{"150 under MAX_CONNS", 150, true},
		// Over it: all 400 served, 200 of them closed again by the server, the check fails.
		{"400 over MAX_CONNS", 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Under the limit, the server's own gauge is read while the check holds its
			// connections (over it, a scrape would wait in the backlog like the rest).
			serverOpen := -1
			onStats := func(s conncheck.Stats) {
				if tt.n <= maxConns && serverOpen < 0 && s.Served == tt.n {
					serverOpen = openConnections(ctx, t, api)
				}
			}
			r := check(ctx, t, api, tt.n, onStats)
			if got := r.Passed(); got != tt.wantPassed {
				t.Errorf("passed: got %v, want %v", got, tt.wantPassed)
			}
			if got := r.Final.Established + r.Final.Closed; got != tt.n {
				t.Errorf("established or closed by the server: got %d, want %d (the backlog completes every handshake)", got, tt.n)
			}
			// Still open at the end: all of them under the limit, at most MAX_CONNS over it.
			if got, want := r.Final.Established, min(tt.n, maxConns); got > want || tt.n <= maxConns && got != want {
				t.Errorf("still open: got %d, want %d", got, want)
			}
			// Every one is served: over the limit, by taking the place of an idle one. A
			// connection that is still sending its request is never closed, so allow two.
			if got := r.Final.Served; got > tt.n || got < tt.n-2 {
				t.Errorf("served: got %d, want %d (or up to 2 fewer)", got, tt.n)
			}
			if tt.n <= maxConns {
				t.Logf("server's http_open_connections while held: %d", serverOpen)
			}
			if tt.n <= maxConns && serverOpen < tt.n {
				t.Errorf("server's http_open_connections while held: got %d, want at least %d", serverOpen, tt.n)
			}
		})
	}
}

// The incident the check was written for: the service's file descriptor limit, not its
// connector, decides how many connections it holds. With RLIMIT_NOFILE at 128 the API cannot
// serve 150 connections; raised to 4096 it serves them all.
func TestFDLimitBreaksTheInstance(t *testing.T) {
	const n = 150
	tests := []struct {
		name       string
		nofile     uint64
		wantPassed bool
	}{
		{"nofile 128", 128, false},
		{"nofile 4096", 4096, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			api := startAPI(ctx, t, apiproc.Options{NoFile: tt.nofile})
			r := check(ctx, t, api, n, nil)
			if got := r.Passed(); got != tt.wantPassed {
				t.Errorf("passed: got %v, want %v", got, tt.wantPassed)
			}
			if !tt.wantPassed && r.Final.Served >= int(tt.nofile) {
				t.Errorf("served: got %d, want fewer than the %d descriptors the server has", r.Final.Served, tt.nofile)
			}
		})
	}
}

// startAPI starts the API on the test binary's Postgres (a fresh database) and Redis, with
// opts.Env on top, and stops it when the test ends.
func startAPI(ctx context.Context, t *testing.T, opts apiproc.Options) *apiproc.Process {
	t.Helper()
	env := backingtest.ForTest(t)
	vars := map[string]string{
		"DATABASE_URL": backingtest.FreshDatabase(t, env),
		"REDIS_URL":    env.RedisURL,
		"LOG_LEVEL":    "info",
	}
	for k, v := range opts.Env {
		vars[k] = v
	}
	opts.Env = vars
	api, err := apiproc.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := api.Stop(ctx); err != nil {
			t.Errorf("stop the API: %v", err)
		}
	})
	return api
}

// check opens n connections to the API, one per millisecond, holds them 2s and probes
// /api/v1/health on each.
func check(ctx context.Context, t *testing.T, api *apiproc.Process, n int, onStats func(conncheck.Stats)) conncheck.Report {
	t.Helper()
	host, portText, err := net.SplitHostPort(api.Addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	r, err := conncheck.Run(ctx, conncheck.Config{
		Host:        host,
		Port:        port,
		Connections: n,
		Sleep:       time.Millisecond,
		DialTimeout: 5 * time.Second,
		Hold:        2 * time.Second,
		Interval:    100 * time.Millisecond,
		HTTPPath:    "/api/v1/health",
		OnStats:     onStats,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", r.Text())
	return r
}

// openConnections reads the API's http_open_connections gauge from /metrics, or returns -1.
func openConnections(ctx context.Context, t *testing.T, api *apiproc.Process) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	// No keep-alive: an idle connection left behind would hold one of the server's slots.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Logf("scrape /metrics: %v", err)
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "http_open_connections "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return int(f)
			}
		}
	}
	t.Logf("no http_open_connections in /metrics")
	return -1
}
