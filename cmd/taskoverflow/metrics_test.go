package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/backing"
)

// TestMetricsOnTheirOwnListener: with METRICS_ADDR set, /metrics answers there
// and is a 404 on the API's listener, which the load balancer routes.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	env := backing.ForTest(t)
	// Port 0: the server picks a free one and logs it.
	p := startAPI(t, env, map[string]string{"DATABASE_URL": env.FreshDatabase(t), "METRICS_ADDR": "127.0.0.1:0"})
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
	env := backing.ForTest(t)
	p := startAPI(t, env, map[string]string{"DATABASE_URL": env.FreshDatabase(t)})
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
