package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
)

// TestMetricsOnTheirOwnListener: with METRICS_ADDR set, /metrics answers there
// and is a 404 on the API's listener, which the load balancer routes.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	env := backingtest.ForTest(t)
	// Port 0: the server picks a free one and logs it.
	p := startAPI(t, env, map[string]string{"DATABASE_URL": backingtest.FreshDatabase(t, env), "METRICS_ADDR": "127.0.0.1:0"})
	metricsAddr := loggedAddr(t, p.Logs(), "metrics listening")
	c := &http.Client{Timeout: 10 * time.Second}

	if r := call(t, c, "GET", p.URL+"/api/v1/health", ""); r.status != http.StatusOK {
		t.Fatalf("health on the API listener: got %d, want 200", r.status)
	}
	r := call(t, c, "GET", p.URL+"/metrics", "")
	if r.status != http.StatusNotFound || strings.Contains(r.raw, "http_requests_total") {
		t.Errorf("/metrics on the API listener: got %d %.80q, want a 404 without series", r.status, r.raw)
	}
	r = call(t, c, "GET", "http://"+metricsAddr+"/metrics", "")
	if r.status != http.StatusOK || !strings.Contains(r.raw, `http_requests_total{`) {
		t.Errorf("/metrics on METRICS_ADDR: got %d %.80q, want 200 with the API's request series", r.status, r.raw)
	}
	// Only /metrics is there: the API is not served twice.
	if r := call(t, c, "GET", "http://"+metricsAddr+"/api/v1/todos", ""); r.status != http.StatusNotFound {
		t.Errorf("/api/v1/todos on METRICS_ADDR: got %d, want 404", r.status)
	}
}

// TestMetricsOnTheAPIPortByDefault: without METRICS_ADDR the API's port serves
// /metrics, as the lab and a laptop's Prometheus expect.
func TestMetricsOnTheAPIPortByDefault(t *testing.T) {
	env := backingtest.ForTest(t)
	p := startAPI(t, env, map[string]string{"DATABASE_URL": backingtest.FreshDatabase(t, env)})
	c := &http.Client{Timeout: 10 * time.Second}
	if r := call(t, c, "GET", p.URL+"/metrics", ""); r.status != http.StatusOK || !strings.Contains(r.raw, "http_open_connections") {
		t.Errorf("/metrics: got %d %.80q, want 200 with the series", r.status, r.raw)
	}
}

// loggedAddr returns the addr of the first JSON log line whose msg is msg.
func loggedAddr(t *testing.T, logs []byte, msg string) string {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(logs))
	for sc.Scan() {
		var line struct{ Msg, Addr string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == msg && line.Addr != "" {
			return line.Addr
		}
	}
	t.Fatalf("no %q log line with an addr in:\n%s", msg, logs)
	return ""
}

// TestTrustedProxiesFromTheEnvironment: TRUSTED_PROXIES reaches the API. The test's client is
// 127.0.0.1: trusted, its X-Forwarded-Proto: https makes the cookie Secure; the same header
// from an untrusted peer leaves it plain.
func TestTrustedProxiesFromTheEnvironment(t *testing.T) {
	env := backingtest.ForTest(t)
	for _, tt := range []struct {
		trusted string
		secure  bool
	}{
		{"127.0.0.1/32", true},
		{"172.31.0.0/16", false},
		{"", false},
	} {
		p := startAPI(t, env, map[string]string{"DATABASE_URL": backingtest.FreshDatabase(t, env), "TRUSTED_PROXIES": tt.trusted})
		c := &http.Client{Timeout: 10 * time.Second}
		creds := `{"username":"proxied","password":"correct horse"}`
		if r := call(t, c, "POST", p.URL+"/api/v1/users", creds); r.status != http.StatusCreated {
			t.Fatalf("register: got %d %s", r.status, r.raw)
		}
		req, _ := http.NewRequest("POST", p.URL+"/api/v1/login", strings.NewReader(creds))
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var secure, found bool
		for _, ck := range resp.Cookies() {
			if ck.Name == "taskoverflow_session" {
				found, secure = true, ck.Secure
			}
		}
		if !found || secure != tt.secure {
			t.Errorf("TRUSTED_PROXIES=%q: login cookie found %v Secure %v, want Secure %v", tt.trusted, found, secure, tt.secure)
		}
	}
}
