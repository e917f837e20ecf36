package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taskoverflow-lab/taskoverflow/api"
	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/session"
	"github.com/taskoverflow-lab/taskoverflow/store"
)

// proxyServer is the API on real Postgres and Redis trusting the given
// proxies, served over TLS when tls is set.
func proxyServer(t *testing.T, trusted []netip.Prefix, tls bool) *httptest.Server {
	t.Helper()
	env := backingtest.ForTest(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log := logging.New(io.Discard, "json", slog.LevelInfo, false)
	ctx := context.Background()
	db, err := store.Open(ctx, backingtest.FreshDatabase(t, env), "", storeOptions(cfg.DB), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sessions, err := session.Open(env.RedisURL, sessionOptions(cfg.Redis), cfg.SessionTTL, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	srv := api.NewServer(api.Deps{
		Todos: db, Users: db, Sessions: sessions,
		Ready: map[string]api.Pinger{"postgres": db, "redis": sessions},
		Log:   log, Registry: prometheus.NewRegistry(),
	}, api.ServerOptions{Options: api.Options{
		MaxInflight: 16, RequestTimeout: 5 * time.Second, ReadyTimeout: time.Second,
		SessionTTL: time.Hour, BcryptCost: 4, TrustedProxies: trusted,
	}, MaxConns: 16})
	ts := httptest.NewUnstartedServer(srv.Handler())
	if tls {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	return ts
}

// TestSessionCookieSecure: the session cookie is Secure when the request came
// over TLS, directly or at a trusted load balancer; X-Forwarded-Proto from any
// other peer changes nothing. The test's client is 127.0.0.1.
func TestSessionCookieSecure(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	vpc := []netip.Prefix{netip.MustParsePrefix("172.31.0.0/16")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		tls     bool
		proto   []string // X-Forwarded-Proto values sent
		secure  bool
	}{
		// Plain HTTP, no proxy: as on a laptop.
		{"plain", nil, false, nil, false},
		// Nobody is trusted by default: a client cannot claim https.
		{"header, no proxy trusted", nil, false, []string{"https"}, false},
		// The header from a peer outside the trusted range is ignored.
		{"header from an untrusted peer", vpc, false, []string{"https"}, false},
		// The load balancer ended TLS.
		{"trusted proxy says https", loopback, false, []string{"https"}, true},
		{"trusted proxy says HTTPS", loopback, false, []string{"HTTPS"}, true},
		// The load balancer took the request over HTTP.
		{"trusted proxy says http", loopback, false, []string{"http"}, false},
		{"trusted proxy, no header", loopback, false, nil, false},
		// A client's forged value before the proxy's own: the nearest (last) counts.
		{"forged then http", loopback, false, []string{"https, http"}, false},
		{"forged line then http", loopback, false, []string{"https", "http"}, false},
		// TLS straight to the server.
		{"direct TLS", nil, true, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := proxyServer(t, tt.trusted, tt.tls)
			c := ts.Client()
			c.Timeout = 10 * time.Second
			post := func(path, body string) *http.Response {
				t.Helper()
				req, err := http.NewRequest(http.MethodPost, ts.URL+"/api/v1"+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				for _, p := range tt.proto {
					req.Header.Add("X-Forwarded-Proto", p)
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp
			}
			creds := `{"username":"cookie1","password":"correct horse"}`
			if r := post("/users", creds); r.StatusCode != http.StatusCreated {
				t.Fatalf("register: got %d, want 201", r.StatusCode)
			}
			for _, step := range []struct{ path, body string }{{"/login", creds}, {"/logout", ""}} {
				r := post(step.path, step.body)
				var cookie *http.Cookie
				for _, c := range r.Cookies() {
					if c.Name == api.SessionCookie {
						cookie = c
					}
				}
				if r.StatusCode != http.StatusOK || cookie == nil {
					t.Fatalf("%s: got %d with cookies %v, want 200 setting %s", step.path, r.StatusCode, r.Cookies(), api.SessionCookie)
				}
				if cookie.Secure != tt.secure || !cookie.HttpOnly {
					t.Errorf("%s: cookie Secure %v HttpOnly %v, want Secure %v HttpOnly true", step.path, cookie.Secure, cookie.HttpOnly, tt.secure)
				}
			}
		})
	}
}
