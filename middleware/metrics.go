package middleware

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the HTTP series: requests by route pattern, method and status,
// latency by route pattern and method, requests in flight and requests
// rejected by Limit. Every label has a bounded set of values: the route is
// the chi pattern (or "unmatched"), the method one HTTP defines or OTHER.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	Rejected prometheus.Counter
}

// NewMetrics creates the HTTP series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests finished, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request latency, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_inflight_requests", Help: "HTTP requests being served.",
		}),
		Rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "http_inflight_rejected_total", Help: "Requests answered 503 because MAX_INFLIGHT were in flight.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight, m.Rejected)
	return m
}

// Middleware records every request; it runs inside the router's context so
// that the route pattern is known when the request finishes.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inflight.Inc()
		ww := wrap(w, r)
		defer func() {
			m.inflight.Dec()
			route, method := routePattern(r), methodLabel(r.Method)
			m.requests.WithLabelValues(route, method, strconv.Itoa(statusOf(ww))).Inc()
			m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(ww, r)
	})
}
