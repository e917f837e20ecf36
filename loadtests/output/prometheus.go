package output

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// Prometheus serves the generator's own metrics for Prometheus to scrape
// while the run goes, on a registry of its own (nothing of the process's
// default registry): requests, failures and a latency histogram per
// request name, VUs, dropped iterations and the generator's saturation.
type Prometheus struct {
	ln  net.Listener
	srv *http.Server

	requests   *prometheus.CounterVec
	failures   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	vus        prometheus.Gauge
	vusMax     prometheus.Gauge
	dropped    prometheus.Gauge
	iterations prometheus.Gauge
	cpu        prometheus.Gauge
	saturated  prometheus.Gauge

	names map[string]bool // only the output's goroutine touches it
}

// NewPrometheus listens on addr (such as 127.0.0.1:9465, or :0 for any
// port) and serves the metrics on /metrics from now on, so that a bind
// error shows before the run starts.
func NewPrometheus(addr string) (*Prometheus, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	o := &Prometheus{ln: ln, names: map[string]bool{}}
	o.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "loadtest_requests_total", Help: "Requests finished, by request name.",
	}, []string{"name"})
	o.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "loadtest_request_failures_total", Help: "Failed requests, by request name and failure kind.",
	}, []string{"name", "kind"})
	o.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "loadtest_request_duration_seconds", Help: "Request duration (sending + waiting + receiving), by request name.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"name"})
	o.vus = prometheus.NewGauge(prometheus.GaugeOpts{Name: "loadtest_vus", Help: "VUs running iterations."})
	o.vusMax = prometheus.NewGauge(prometheus.GaugeOpts{Name: "loadtest_vus_max", Help: "VUs allocated."})
	o.dropped = prometheus.NewGauge(prometheus.GaugeOpts{Name: "loadtest_dropped_iterations", Help: "Iterations dropped so far because every VU was busy."})
	o.iterations = prometheus.NewGauge(prometheus.GaugeOpts{Name: "loadtest_iterations", Help: "Iterations completed so far."})
	o.cpu = prometheus.NewGauge(prometheus.GaugeOpts{Name: "loadtest_generator_cpu_ratio", Help: "Highest share of its usable cores the generator used over a window so far (negative: not measured)."})
	o.saturated = prometheus.NewGauge(prometheus.GaugeOpts{Name: "loadtest_generator_saturated", Help: "1 once the generator was saturated: the figures understate the server."})
	for _, c := range []prometheus.Collector{o.requests, o.failures, o.duration, o.vus, o.vusMax, o.dropped, o.iterations, o.cpu, o.saturated} {
		f(c)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	o.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	// Serve returns http.ErrServerClosed once Stop shuts it down.
	go func() { _ = o.srv.Serve(ln) }()
	return o, nil
}

// Addr returns the address the metrics are served on.
func (o *Prometheus) Addr() string { return o.ln.Addr().String() }

// Start does nothing: the metrics are served from NewPrometheus on.
func (o *Prometheus) Start(metrics.RunInfo) error { return nil }

// AddSamples counts the samples. Request names past metrics.MaxNames are
// folded into one, as the summary folds them.
func (o *Prometheus) AddSamples(samples []metrics.Sample) {
	for i := range samples {
		s := &samples[i]
		name := s.Name
		if !o.names[name] {
			if len(o.names) >= metrics.MaxNames {
				name = metrics.OtherName
			}
			o.names[name] = true
		}
		o.requests.WithLabelValues(name).Inc()
		o.duration.WithLabelValues(name).Observe(s.Duration.Seconds())
		if s.Kind != "" {
			o.failures.WithLabelValues(name, s.Kind).Inc()
		}
	}
}

// Progress sets the gauges from the live state.
func (o *Prometheus) Progress(p metrics.Progress) {
	o.vus.Set(float64(p.VUs))
	o.vusMax.Set(float64(p.VUsMax))
	o.dropped.Set(float64(p.Dropped))
	o.iterations.Set(float64(p.Complete))
	o.cpu.Set(p.Generator.CPU)
	if p.Generator.Saturated {
		o.saturated.Set(1)
	}
}

// Stop stops serving, waiting at most a second for a scrape under way.
func (o *Prometheus) Stop(s *metrics.Summary) error {
	if s.Generator.Saturated {
		o.saturated.Set(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return o.srv.Shutdown(ctx)
}

func (o *Prometheus) String() string { return "metrics " + o.Addr() }
