package report

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// ScrapeTimeout bounds one scrape of the server's metrics, so that a slow
// or stuck server shows as a failed second, never as a stalled dashboard.
const ScrapeTimeout = 800 * time.Millisecond

// serverGauges are the series the dashboard draws as they are; serverRates
// are counters it draws as a rate per second. The names are the API's own
// (middleware, api, store, session).
var (
	serverGauges = []string{"pgxpool_acquired_conns", "pgxpool_idle_conns", "http_inflight_requests", "http_open_connections"}
	serverRates  = []string{"pgxpool_empty_acquire_count_total", "pgxpool_empty_acquire_wait_seconds_total", "http_inflight_rejected_total", "redis_pool_dials_total"}
)

// ServerPoint is one second of the server's side: each series found, by
// its Prometheus name (counters as a rate per second), or the scrape's
// error.
type ServerPoint struct {
	Values map[string]float64 `json:"values,omitempty"`
	Error  string             `json:"error,omitempty"`
}

// ServerMetrics scrapes a Prometheus endpoint (the API's /metrics) once a
// second while a run goes, for the dashboard to draw the server's side on
// the run's time axis.
type ServerMetrics struct {
	URL    string
	client *http.Client

	mu   sync.Mutex
	last ServerPoint
	prev map[string]float64
	at   time.Time
}

// NewServerMetrics scrapes url.
func NewServerMetrics(url string) *ServerMetrics {
	return &ServerMetrics{URL: url, client: &http.Client{Timeout: ScrapeTimeout}}
}

// ProbeServerMetrics tries endpoint's /metrics once and returns a scraper
// of it when it answers with the API's series (http_inflight_requests),
// else nil: an endpoint that is not this project's API is not scraped
// unless named.
func ProbeServerMetrics(ctx context.Context, endpoint string) *ServerMetrics {
	m := NewServerMetrics(strings.TrimSuffix(endpoint, "/") + "/metrics")
	fams, err := m.fetch(ctx)
	if err != nil {
		return nil
	}
	if _, ok := fams["http_inflight_requests"]; !ok {
		return nil
	}
	return m
}

func (m *ServerMetrics) fetch(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(ctx, ScrapeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", m.URL, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(io.LimitReader(resp.Body, 8<<20))
}

// value adds up a family's series (one per label set).
func value(f *dto.MetricFamily) float64 {
	var v float64
	for _, m := range f.GetMetric() {
		switch {
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Untyped != nil:
			v += m.Untyped.GetValue()
		}
	}
	return v
}

// Scrape takes one second's point and keeps it as the latest.
func (m *ServerMetrics) Scrape(ctx context.Context, now time.Time) ServerPoint {
	fams, err := m.fetch(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.last = ServerPoint{Error: err.Error()}
		return m.last
	}
	p := ServerPoint{Values: map[string]float64{}}
	for _, name := range serverGauges {
		if f, ok := fams[name]; ok {
			p.Values[name] = value(f)
		}
	}
	cur := map[string]float64{}
	for _, name := range serverRates {
		f, ok := fams[name]
		if !ok {
			continue
		}
		cur[name] = value(f)
		if old, ok := m.prev[name]; ok && now.After(m.at) && cur[name] >= old {
			p.Values[name] = (cur[name] - old) / now.Sub(m.at).Seconds()
		}
	}
	m.prev, m.at = cur, now
	m.last = p
	return p
}

// Latest returns the last point scraped.
func (m *ServerMetrics) Latest() ServerPoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// run scrapes each second until ctx ends.
func (m *ServerMetrics) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	m.Scrape(ctx, time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.Scrape(ctx, now)
		}
	}
}
