package session

import "github.com/prometheus/client_golang/prometheus"

// Collector exports the pool's Stats() as redis_pool_* series, read at each scrape.
func (s *Store) Collector() prometheus.Collector { return poolCollector{s} }

type poolCollector struct{ s *Store }

var poolDescs = struct {
	active, idle, waitCount, waitSeconds, dials, maxActive *prometheus.Desc
}{
	active:      prometheus.NewDesc("redis_pool_active_conns", "Redis connections open (in use and idle).", nil, nil),
	idle:        prometheus.NewDesc("redis_pool_idle_conns", "Redis connections idle in the pool.", nil, nil),
	waitCount:   prometheus.NewDesc("redis_pool_wait_count_total", "Gets that waited for a connection at REDIS_MAX_ACTIVE.", nil, nil),
	waitSeconds: prometheus.NewDesc("redis_pool_wait_duration_seconds_total", "Time spent waiting for a connection.", nil, nil),
	dials:       prometheus.NewDesc("redis_pool_dials_total", "Connections dialled: near one per request when the pool does not bound or keep them.", nil, nil),
	maxActive:   prometheus.NewDesc("redis_pool_max_active", "REDIS_MAX_ACTIVE; 0 when unlimited.", nil, nil),
}

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	d := poolDescs
	ch <- prometheus.MustNewConstMetric(d.active, prometheus.GaugeValue, float64(st.ActiveCount))
	ch <- prometheus.MustNewConstMetric(d.idle, prometheus.GaugeValue, float64(st.IdleCount))
	ch <- prometheus.MustNewConstMetric(d.waitCount, prometheus.CounterValue, float64(st.WaitCount))
	ch <- prometheus.MustNewConstMetric(d.waitSeconds, prometheus.CounterValue, st.WaitDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(d.dials, prometheus.CounterValue, float64(c.s.Dials()))
	ch <- prometheus.MustNewConstMetric(d.maxActive, prometheus.GaugeValue, float64(c.s.pool.MaxActive))
}
