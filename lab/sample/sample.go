// Package sample reads the server's side of a lab run once a second: the
// API's Prometheus /metrics, Redis INFO, Postgres's pg_stat_activity, the
// API processes' CPU, memory and descriptors, and a load balancer's health
// check, one Sample a second.
package sample

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gomodule/redigo/redis"
	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Sample is what the lab saw in one second of a run: every value is read at
// T, counters as running totals (their per-second rates are computed when
// charted or judged).
type Sample struct {
	// T is the time since the run started.
	T time.Duration
	// Values holds one number per series name (see the Series* constants and
	// the API's own /metrics family names).
	Values map[string]float64
}

// Series the sampler adds besides the API's /metrics families (which keep
// their names, summed over labels and instances).
const (
	// HTTP responses with a 5xx status, from http_requests_total's status label.
	SeriesHTTP5xx = "http_responses_5xx_total"

	// Redis INFO clients / stats.
	SeriesRedisClients     = "redis_connected_clients"
	SeriesRedisConnections = "redis_total_connections_received"
	SeriesRedisRejected    = "redis_rejected_connections"
	SeriesRedisCommands    = "redis_total_commands_processed"

	// pg_stat_activity, the lab's own connection left out.
	SeriesPGConnections = "pg_connections"
	SeriesPGActive      = "pg_active"
	SeriesPGIdle        = "pg_idle"

	// /proc/PID of the API process (summed over instances).
	SeriesCPUPercent = "proc_cpu_percent"
	SeriesCPUSeconds = "proc_cpu_seconds_total"
	SeriesRSSBytes   = "proc_rss_bytes"
	SeriesFDs        = "proc_open_fds"
	SeriesThreads    = "proc_threads"

	// A load balancer's health check on /api/v1/health, once a second per
	// instance: checks made, checks failed (an error, a timeout or a status
	// other than 200) and the slowest answer in milliseconds.
	SeriesHealthChecks = "health_checks"
	SeriesHealthFailed = "health_failed"
	SeriesHealthMS     = "health_ms"
)

// MarshalJSON writes a sample as one flat object: {"t": seconds, name: value…}.
func (s Sample) MarshalJSON() ([]byte, error) {
	m := make(map[string]float64, len(s.Values)+1)
	maps.Copy(m, s.Values)
	m["t"] = s.T.Seconds()
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *Sample) UnmarshalJSON(b []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	s.T = time.Duration(m["t"] * float64(time.Second))
	delete(m, "t")
	s.Values = m
	return nil
}

// Sampler reads the server's side of a run once a second.
type Sampler struct {
	// URLs are the API instances' base URLs; Pids their processes.
	URLs []string
	Pids []int
	// DatabaseURL and RedisURL are the backing services.
	DatabaseURL string
	RedisURL    string
	// Interval between samples; 0 means a second.
	Interval time.Duration
	// HealthTimeout bounds each health check; 0 means a second.
	HealthTimeout time.Duration

	client *http.Client
	redis  redis.Conn
	pg     *pgx.Conn
	prev   map[int]procStat
	prevAt time.Time
	last   map[string]map[string]float64 // each instance's last /metrics
}

// Open connects to Redis and Postgres. It holds one connection to each until
// Close: the Redis one shows in connected_clients, the Postgres one takes a
// slot of max_connections (the case that lowers it allows for it).
func (s *Sampler) Open(ctx context.Context) error {
	if s.Interval == 0 {
		s.Interval = time.Second
	}
	if s.HealthTimeout == 0 {
		s.HealthTimeout = time.Second
	}
	s.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	s.prev = map[int]procStat{}
	s.last = map[string]map[string]float64{}
	var err error
	if s.RedisURL != "" {
		if s.redis, err = redis.DialURLContext(ctx, s.RedisURL, redis.DialReadTimeout(s.Interval), redis.DialWriteTimeout(s.Interval)); err != nil {
			return fmt.Errorf("sampler: redis: %w", err)
		}
	}
	if s.DatabaseURL != "" {
		if s.pg, err = pgx.Connect(ctx, s.DatabaseURL); err != nil {
			s.Close()
			return fmt.Errorf("sampler: postgres: %w", err)
		}
	}
	return nil
}

// Close releases the sampler's connections.
func (s *Sampler) Close() {
	if s.redis != nil {
		s.redis.Close()
		s.redis = nil
	}
	if s.pg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.pg.Close(ctx)
		cancel()
		s.pg = nil
	}
	s.client.CloseIdleConnections()
}

// Run samples every Interval until ctx ends and returns the samples, the
// first taken at once.
func (s *Sampler) Run(ctx context.Context, start time.Time) []Sample {
	var out []Sample
	tick := time.NewTicker(s.Interval)
	defer tick.Stop()
	for {
		out = append(out, s.Take(ctx, start))
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
	}
}

// Take reads every source once, side by side, each bounded by the interval.
// A source that does not answer leaves its series out of the sample.
func (s *Sampler) Take(ctx context.Context, start time.Time) Sample {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Interval*9/10)
	defer cancel()
	at := time.Now()
	var mu sync.Mutex
	values := map[string]float64{}
	add := func(m map[string]float64) {
		mu.Lock()
		defer mu.Unlock()
		for k, v := range m {
			values[k] += v
		}
	}
	var wg sync.WaitGroup
	for _, u := range s.URLs {
		wg.Go(func() {
			m, err := s.scrape(ctx, u)
			// An instance that does not answer in time keeps its last
			// figures, so that sums over instances do not dip.
			mu.Lock()
			if err == nil {
				s.last[u] = m
			} else {
				m = s.last[u]
			}
			mu.Unlock()
			add(m)
		})
		wg.Go(func() { add(s.health(ctx, u)) })
	}
	if s.redis != nil {
		wg.Go(func() {
			if m, err := redisInfo(s.redis); err == nil {
				add(m)
			}
		})
	}
	if s.pg != nil {
		wg.Go(func() {
			if m, err := pgActivity(ctx, s.pg); err == nil {
				add(m)
			}
		})
	}
	wg.Wait()
	add(s.procs(at))
	return Sample{T: at.Sub(start), Values: values}
}

// scrape reads one instance's /metrics.
func (s *Sampler) scrape(ctx context.Context, base string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return ParseMetrics(resp.Body)
}

// ParseMetrics reads the Prometheus text format and returns one value per
// family: the sum over its label sets (a histogram or summary gives its
// count), plus SeriesHTTP5xx from http_requests_total's status label. It
// returns an error when the input is not the text format.
func ParseMetrics(r io.Reader) (map[string]float64, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	out := make(map[string]float64, len(families)+1)
	for name, f := range families {
		var sum float64
		for _, m := range f.GetMetric() {
			v := metricValue(f.GetType(), m)
			sum += v
			if name == "http_requests_total" && strings.HasPrefix(labelValue(m, "status"), "5") {
				out[SeriesHTTP5xx] += v
			}
		}
		out[name] = sum
	}
	return out, nil
}

func metricValue(t dto.MetricType, m *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	case dto.MetricType_SUMMARY:
		return float64(m.GetSummary().GetSampleCount())
	default:
		return m.GetUntyped().GetValue()
	}
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// health is one round of a load balancer's health check on an instance.
func (s *Sampler) health(ctx context.Context, base string) map[string]float64 {
	ctx, cancel := context.WithTimeout(ctx, s.HealthTimeout)
	defer cancel()
	start := time.Now()
	failed := 1.0
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/health", nil)
	if err == nil {
		// A health checker opens a connection per check, as load balancers do.
		req.Close = true
		if resp, err := s.client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				failed = 0
			}
		}
	}
	return map[string]float64{
		SeriesHealthChecks: 1,
		SeriesHealthFailed: failed,
		SeriesHealthMS:     float64(time.Since(start).Microseconds()) / 1000,
	}
}

// redisFields maps the INFO fields the lab reads to its series.
var redisFields = map[string]string{
	"connected_clients":          SeriesRedisClients,
	"total_connections_received": SeriesRedisConnections,
	"rejected_connections":       SeriesRedisRejected,
	"total_commands_processed":   SeriesRedisCommands,
}

func redisInfo(c redis.Conn) (map[string]float64, error) {
	text, err := redis.String(c.Do("INFO", "clients"))
	if err != nil {
		return nil, err
	}
	stats, err := redis.String(c.Do("INFO", "stats"))
	if err != nil {
		return nil, err
	}
	return ParseRedisInfo(text + "\n" + stats), nil
}

// ParseRedisInfo picks connected_clients, total_connections_received,
// rejected_connections and total_commands_processed out of INFO's text.
func ParseRedisInfo(text string) map[string]float64 {
	out := map[string]float64{}
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if series, known := redisFields[k]; ok && known {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				out[series] = f
			}
		}
	}
	return out
}

func pgActivity(ctx context.Context, conn *pgx.Conn) (map[string]float64, error) {
	var total, active, idle float64
	err := conn.QueryRow(ctx, `SELECT count(*),
		count(*) FILTER (WHERE state = 'active'),
		count(*) FILTER (WHERE state = 'idle')
		FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&total, &active, &idle)
	if err != nil {
		return nil, err
	}
	return map[string]float64{SeriesPGConnections: total, SeriesPGActive: active, SeriesPGIdle: idle}, nil
}

// procs reads /proc for every API process; CPU percent is over the time
// since the previous sample.
func (s *Sampler) procs(at time.Time) map[string]float64 {
	out := map[string]float64{}
	elapsed := at.Sub(s.prevAt).Seconds()
	for _, pid := range s.Pids {
		st, err := readProc(pid)
		if err != nil {
			continue
		}
		out[SeriesCPUSeconds] += st.CPUSeconds
		out[SeriesRSSBytes] += float64(st.RSSBytes)
		out[SeriesFDs] += float64(st.FDs)
		out[SeriesThreads] += float64(st.Threads)
		if p, ok := s.prev[pid]; ok && elapsed > 0 {
			out[SeriesCPUPercent] += 100 * (st.CPUSeconds - p.CPUSeconds) / elapsed
		}
		s.prev[pid] = st
	}
	s.prevAt = at
	return out
}

// WriteSamples writes samples as JSON lines.
func WriteSamples(w io.Writer, samples []Sample) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, s := range samples {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
