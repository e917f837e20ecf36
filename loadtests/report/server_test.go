package report

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// apiMetrics serves "ok", 503 at /bad, and the API's series as its /metrics does's series as its /metrics does, the counters
// going up by 10 at each scrape.
func apiMetrics(t *testing.T) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
		case "/bad":
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		default:
			w.Write([]byte("ok"))
			return
		}
		c := 10 * n.Add(1)
		fmt.Fprintf(w, `# TYPE http_inflight_requests gauge
http_inflight_requests 3
# TYPE http_open_connections gauge
http_open_connections 7
# TYPE pgxpool_acquired_conns gauge
pgxpool_acquired_conns 4
# TYPE pgxpool_idle_conns gauge
pgxpool_idle_conns 1
# TYPE http_inflight_rejected_total counter
http_inflight_rejected_total %d
# TYPE redis_pool_dials_total counter
redis_pool_dials_total %d
# TYPE pgxpool_empty_acquire_count_total counter
pgxpool_empty_acquire_count_total %d
# TYPE pgxpool_empty_acquire_wait_seconds_total counter
pgxpool_empty_acquire_wait_seconds_total %d
# TYPE http_requests_total counter
http_requests_total{route="/a",method="GET",status="200"} 5
`, c, 2*c, c, c)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestServerMetricsGaugesAsTheyAreCountersAsRates(t *testing.T) {
	srv := apiMetrics(t)
	m := ProbeServerMetrics(context.Background(), srv.URL+"/")
	if m == nil || m.URL != srv.URL+"/metrics" {
		t.Fatalf("probe of the API's endpoint: got %+v, want its /metrics", m)
	}
	// The probe was the first scrape (10); these are 20 and 30, two
	// seconds apart.
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	first := m.Scrape(context.Background(), t0)
	if _, ok := first.Values["http_inflight_rejected_total"]; ok || first.Error != "" {
		t.Errorf("first scrape: got %+v, want gauges only (a rate needs two)", first)
	}
	p := m.Scrape(context.Background(), t0.Add(2*time.Second))
	want := map[string]float64{
		"http_inflight_requests": 3, "http_open_connections": 7, "pgxpool_acquired_conns": 4, "pgxpool_idle_conns": 1,
		"http_inflight_rejected_total": 5, "redis_pool_dials_total": 10,
		"pgxpool_empty_acquire_count_total": 5, "pgxpool_empty_acquire_wait_seconds_total": 5,
	}
	if fmt.Sprint(p.Values) != fmt.Sprint(want) || p.Error != "" {
		t.Errorf("scrape: got %v (%q), want %v", p.Values, p.Error, want)
	}
	if got := m.Latest(); fmt.Sprint(got.Values) != fmt.Sprint(want) {
		t.Errorf("latest: got %v, want the last scrape", got.Values)
	}
}

func TestServerMetricsProbeLeavesOtherEndpointsAlone(t *testing.T) {
	notAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			w.Write([]byte("# TYPE go_goroutines gauge\ngo_goroutines 8\n"))
			return
		}
		http.NotFound(w, r)
	}))
	defer notAPI.Close()
	noMetrics := httptest.NewServer(http.NotFoundHandler())
	defer noMetrics.Close()
	for _, u := range []string{notAPI.URL, noMetrics.URL, "http://127.0.0.1:1"} {
		if m := ProbeServerMetrics(context.Background(), u); m != nil {
			t.Errorf("probe of %s: got a scraper, want none (not this project's API)", u)
		}
	}
}

// A failed scrape is a second with an error, shown on the page; a stuck
// server is given up on within ScrapeTimeout.
func TestServerMetricsFailureIsAPointNotAnError(t *testing.T) {
	stuck := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/broken":
			http.Error(w, "no", http.StatusInternalServerError)
		case "/garbage":
			w.Write([]byte("this is { not prometheus\n"))
		case "/stuck":
			select {
			case <-r.Context().Done():
			case <-stuck:
			}
		}
	}))
	defer srv.Close()
	defer close(stuck)
	for _, path := range []string{"/broken", "/garbage", "/stuck"} {
		m := NewServerMetrics(srv.URL + path)
		p := m.Scrape(context.Background(), time.Now())
		if p.Error == "" || p.Values != nil {
			t.Errorf("%s: got %+v, want an error and no values", path, p)
		}
		if path == "/stuck" && !strings.Contains(p.Error, "deadline") && !strings.Contains(p.Error, "Timeout") {
			t.Errorf("%s: got %q, want a timeout", path, p.Error)
		}
	}
}
