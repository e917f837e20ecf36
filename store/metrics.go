package store

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports the pool's Stat() as pgxpool_* series, read at each scrape.
func (db *DB) Collector() prometheus.Collector { return poolCollector{db} }

type poolCollector struct{ db *DB }

var poolDescs = struct {
	acquired, idle, total, constructing, max, acquires, emptyAcquires, canceled, waitsRunOut, waitSeconds, acquireSeconds, newConns, lifetimeDestroys, idleDestroys *prometheus.Desc
}{
	acquired:         prometheus.NewDesc("pgxpool_acquired_conns", "Postgres connections in use.", nil, nil),
	idle:             prometheus.NewDesc("pgxpool_idle_conns", "Postgres connections idle in the pool.", nil, nil),
	total:            prometheus.NewDesc("pgxpool_total_conns", "Postgres connections open (in use, idle and being made).", nil, nil),
	constructing:     prometheus.NewDesc("pgxpool_constructing_conns", "Postgres connections being made.", nil, nil),
	max:              prometheus.NewDesc("pgxpool_max_conns", "DB_MAX_CONNS.", nil, nil),
	acquires:         prometheus.NewDesc("pgxpool_acquire_count_total", "Connections taken from the pool.", nil, nil),
	emptyAcquires:    prometheus.NewDesc("pgxpool_empty_acquire_count_total", "Takes that found no idle connection and waited for one.", nil, nil),
	canceled:         prometheus.NewDesc("pgxpool_canceled_acquire_count_total", "Takes given up because the request's context ended.", nil, nil),
	waitsRunOut:      prometheus.NewDesc("pgxpool_wait_run_out_total", "Takes given up after DB_POOL_WAIT: requests answered 503 with Retry-After.", nil, nil),
	waitSeconds:      prometheus.NewDesc("pgxpool_empty_acquire_wait_seconds_total", "Time spent waiting for a connection by takes that found none idle.", nil, nil),
	acquireSeconds:   prometheus.NewDesc("pgxpool_acquire_duration_seconds_total", "Time spent taking connections, waits included.", nil, nil),
	newConns:         prometheus.NewDesc("pgxpool_new_conns_total", "Connections opened.", nil, nil),
	lifetimeDestroys: prometheus.NewDesc("pgxpool_max_lifetime_destroy_count_total", "Connections closed for reaching DB_MAX_CONN_LIFETIME.", nil, nil),
	idleDestroys:     prometheus.NewDesc("pgxpool_max_idle_destroy_count_total", "Connections closed for idling DB_MAX_CONN_IDLE_TIME.", nil, nil),
}

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.db.Stat()
	d := poolDescs
	gauge := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v)
	}
	counter := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, v)
	}
	gauge(d.acquired, float64(s.AcquiredConns()))
	gauge(d.idle, float64(s.IdleConns()))
	gauge(d.total, float64(s.TotalConns()))
	gauge(d.constructing, float64(s.ConstructingConns()))
	gauge(d.max, float64(s.MaxConns()))
	counter(d.acquires, float64(s.AcquireCount()))
	counter(d.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(d.canceled, float64(s.CanceledAcquireCount()))
	counter(d.waitsRunOut, float64(c.db.waitsRunOut.Load()))
	counter(d.waitSeconds, s.EmptyAcquireWaitTime().Seconds())
	counter(d.acquireSeconds, s.AcquireDuration().Seconds())
	counter(d.newConns, float64(s.NewConnsCount()))
	counter(d.lifetimeDestroys, float64(s.MaxLifetimeDestroyCount()))
	counter(d.idleDestroys, float64(s.MaxIdleDestroyCount()))
}
