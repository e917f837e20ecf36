package lab

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// figures describe a run for judge tests: what the sampler, the load and
// the server's log would have shown.
type figures struct {
	counters   map[string][2]float64 // first and last value of a counter series
	peaks      map[string]float64    // one sample reaches this value
	perSample  map[string][]float64  // values of successive samples
	requests   int64
	posts      int64 // of the requests, POST /api/v1/todos
	failed     int64
	failures   map[string]int64 // failed requests by kind, such as "status 503"
	latency    time.Duration    // every request takes this long
	checks     [2]int64         // passed, failed
	findings   map[string]int64
	logLines   []string
	conn       *conncheck.Report
	setup      Setup
	loadLength time.Duration
}

// run builds the Run a judge reads.
func (f figures) run(label string) *SetupRun {
	r := &SetupRun{Label: label, Setup: f.setup, Elapsed: f.loadLength, Conn: f.conn}
	if r.Elapsed == 0 {
		r.Elapsed = 10 * time.Second
	}
	first := sample.Sample{T: 0, Values: map[string]float64{}}
	last := sample.Sample{T: r.Elapsed, Values: map[string]float64{}}
	for k, v := range f.counters {
		first.Values[k], last.Values[k] = v[0], v[1]
	}
	r.Samples = append(r.Samples, first)
	for k, v := range f.peaks {
		r.Samples = append(r.Samples, sample.Sample{T: time.Second, Values: map[string]float64{k: v}})
	}
	for k, vs := range f.perSample {
		for i, v := range vs {
			r.Samples = append(r.Samples, sample.Sample{T: time.Duration(i+1) * time.Second, Values: map[string]float64{k: v}})
		}
	}
	r.Samples = append(r.Samples, last)
	if f.requests > 0 || f.conn == nil {
		h := metrics.NewHistogram()
		for range f.requests {
			h.Record(f.latency)
		}
		r.Summary = &metrics.Summary{
			Requests: map[string]*metrics.RequestStats{
				"GET /api/v1/todos":  {Count: f.requests - f.posts, Failed: f.failed, Failures: f.failures, Duration: h},
				"POST /api/v1/todos": {Count: f.posts, Duration: metrics.NewHistogram()},
			},
			Checks:   map[string]*metrics.CheckStats{"is status 200": {Pass: f.checks[0], Fail: f.checks[1]}},
			Findings: f.findings,
		}
	}
	r.Logs = [][]byte{[]byte(strings.Join(f.logLines, "\n") + "\n")}
	return r
}

// repeat returns n copies of line.
func repeat(line string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = line
	}
	return out
}

// judgeCase runs a case's judge on figures.
func judgeCase(t *testing.T, name string, broken, fixed figures) Verdict {
	t.Helper()
	c, ok := Lookup(name)
	if !ok {
		t.Fatalf("no case %s", name)
	}
	return Judge(c, broken.run("broken"), fixed.run("fixed"))
}

// TestJudges feeds each case's judge figures like those of its two runs:
// the verdict passes; the fixed figures judged as broken (the control) do
// not reproduce; the broken figures judged as fixed do not clear.
func TestJudges(t *testing.T) {
	setupOf := func(name string, fixed bool) Setup {
		c, _ := Lookup(name)
		if fixed {
			return c.Fixed
		}
		return c.Broken
	}
	tests := []struct {
		name          string
		broken, fixed figures
	}{
		{"redis-pool-unbounded",
			figures{setup: setupOf("redis-pool-unbounded", false), requests: 30000, latency: 3 * time.Millisecond,
				counters: map[string][2]float64{sample.SeriesRedisConnections: {2, 9002}}, peaks: map[string]float64{sample.SeriesRedisClients: 109}},
			figures{setup: setupOf("redis-pool-unbounded", true), requests: 30000, latency: time.Millisecond,
				counters: map[string][2]float64{sample.SeriesRedisConnections: {3, 18}}, peaks: map[string]float64{sample.SeriesRedisClients: 17}}},
		{"db-saturation",
			figures{requests: 1200, latency: 2 * time.Second,
				perSample: map[string][]float64{sample.SeriesHealthFailed: {1, 1, 1, 0, 1}, sample.SeriesHealthMS: {1000, 1000, 1000, 850, 1000}},
				counters:  map[string][2]float64{"pgxpool_acquire_count_total": {10, 1210}, "pgxpool_empty_acquire_wait_seconds_total": {0, 1800}}},
			figures{requests: 3100, latency: 330 * time.Millisecond,
				perSample: map[string][]float64{sample.SeriesHealthFailed: {0, 0, 0}, sample.SeriesHealthMS: {2.5, 3, 2.7}},
				counters:  map[string][2]float64{"pgxpool_acquire_count_total": {10, 3110}, "pgxpool_empty_acquire_wait_seconds_total": {0, 950}}}},
		{"slow-database",
			figures{requests: 350, latency: 2200 * time.Millisecond, perSample: map[string][]float64{sample.SeriesHealthFailed: {1, 1, 1, 1}},
				counters: map[string][2]float64{"pgxpool_acquire_count_total": {2, 352}, "pgxpool_empty_acquire_wait_seconds_total": {0, 600}}},
			// Most requests shed with 503 at once; as many served a second.
			figures{requests: 6700, failed: 6350, latency: 100 * time.Millisecond, perSample: map[string][]float64{sample.SeriesHealthFailed: {0, 0, 0}},
				counters: map[string][2]float64{"pgxpool_acquire_count_total": {2, 352}, "pgxpool_empty_acquire_wait_seconds_total": {0, 31}}}},
		{"max-connections",
			figures{setup: setupOf("max-connections", false), peaks: map[string]float64{sample.SeriesFDs: 128},
				conn: &conncheck.Report{Connections: 400, Final: conncheck.Stats{Established: 400, Served: 114}}},
			figures{setup: setupOf("max-connections", true), peaks: map[string]float64{sample.SeriesFDs: 415},
				conn: &conncheck.Report{Connections: 400, Final: conncheck.Stats{Established: 400, Served: 400}}}},
		{"planners-and-studiers",
			figures{requests: 1670, posts: 120, failed: 120, latency: 2500 * time.Millisecond, checks: [2]int64{1430, 240},
				findings: map[string]int64{scenarios.LeftBehind: 120},
				counters: map[string][2]float64{"http_requests_total": {0, 1670}},
				logLines: repeat(`{"msg":"request finished","method":"DELETE","url":"/api/v1/todos/undefined","status":404}`, 120)},
			figures{requests: 1670, posts: 120, latency: 50 * time.Millisecond, checks: [2]int64{1670, 0},
				findings: map[string]int64{scenarios.LeftBehind: 0},
				counters: map[string][2]float64{"http_requests_total": {0, 1670}},
				logLines: repeat(`{"msg":"request finished","method":"DELETE","url":"/api/v1/todos/17","status":200}`, 120)}},
		{"pg-max-connections",
			figures{setup: setupOf("pg-max-connections", false), requests: 1600, failed: 320, latency: 200 * time.Millisecond,
				failures: map[string]int64{"status 503": 320},
				peaks:    map[string]float64{"pgxpool_max_conns": 30},
				counters: map[string][2]float64{sample.SeriesHTTP5xx: {0, 320}},
				logLines: repeat(`{"level":"ERROR","msg":"request finished","err":"FATAL: sorry, too many clients already (SQLSTATE 53300)"}`, 320)},
			figures{setup: setupOf("pg-max-connections", true), requests: 3000, latency: 100 * time.Millisecond,
				peaks:    map[string]float64{"pgxpool_max_conns": 15},
				counters: map[string][2]float64{sample.SeriesHTTP5xx: {0, 0}},
				logLines: []string{`{"level":"INFO","msg":"request finished","status":200}`}}},
	}
	if len(tests) != len(All()) {
		t.Errorf("got judge tests for %d cases, want one for each of the %d", len(tests), len(All()))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judgeCase(t, tt.name, tt.broken, tt.fixed)
			if !v.Passed() {
				t.Errorf("broken vs fixed: got reproduced %v, cleared %v, want both\n%s", v.Reproduced, v.Cleared, rulesText(v))
			}
			control := judgeCase(t, tt.name, tt.fixed, tt.fixed)
			if control.Reproduced {
				t.Errorf("fixed judged as broken: got reproduced, want not\n%s", rulesText(control))
			}
			stuck := judgeCase(t, tt.name, tt.broken, tt.broken)
			if stuck.Cleared {
				t.Errorf("broken judged as fixed: got cleared, want not\n%s", rulesText(stuck))
			}
		})
	}
}

// TestDBSaturationWrongFixes judges the two halves of db-saturation's fix
// alone, with figures like those measured: each fails the rule it misses.
func TestDBSaturationWrongFixes(t *testing.T) {
	broken := figures{requests: 1200, latency: 2 * time.Second,
		perSample: map[string][]float64{sample.SeriesHealthFailed: {1, 1, 1, 0, 1}, sample.SeriesHealthMS: {1000, 1000, 1000, 850, 1000}},
		counters:  map[string][2]float64{"pgxpool_acquire_count_total": {10, 1210}, "pgxpool_empty_acquire_wait_seconds_total": {0, 1800}}}
	tests := []struct {
		what  string
		fixed figures
		fails string
	}{
		// A pool of 8 with the health check still on it: served, but the
		// check waits in the pool's line (307 ms measured) and pings.
		{"pool of 8, health check through it", figures{requests: 3100, latency: 340 * time.Millisecond,
			perSample: map[string][]float64{sample.SeriesHealthFailed: {0, 0, 0}, sample.SeriesHealthMS: {300, 310, 290}},
			counters:  map[string][2]float64{"pgxpool_acquire_count_total": {10, 3110}, "pgxpool_empty_acquire_wait_seconds_total": {0, 950}}},
			"health check answer time, median"},
		// Liveness off the database, the pool left at 2: 82 a second.
		{"health check off the database, pool of 2", figures{requests: 820, latency: 1200 * time.Millisecond,
			perSample: map[string][]float64{sample.SeriesHealthFailed: {0, 0, 0}, sample.SeriesHealthMS: {2.5, 3, 2.7}},
			counters:  map[string][2]float64{"pgxpool_acquire_count_total": {10, 830}, "pgxpool_empty_acquire_wait_seconds_total": {0, 950}}},
			"requests served per second"},
	}
	for _, tt := range tests {
		v := judgeCase(t, "db-saturation", broken, tt.fixed)
		var failed []string
		for _, r := range v.Rules {
			if !r.Pass {
				failed = append(failed, r.Name)
			}
		}
		if v.Cleared || !slices.Contains(failed, tt.fails) {
			t.Errorf("%s: failed %q, want %q among them\n%s", tt.what, failed, tt.fails, rulesText(v))
		}
	}
}

// TestMedianDuringLoad reads only the samples taken while the load ran.
func TestMedianDuringLoad(t *testing.T) {
	r := &SetupRun{LoadAt: time.Second, Elapsed: 3 * time.Second}
	for i, v := range []float64{900, 5, 1, 3, 2, 800} {
		r.Samples = append(r.Samples, sample.Sample{T: time.Duration(i) * time.Second, Values: map[string]float64{"x": v}})
	}
	if got := r.Median("x"); got != 2.5 {
		t.Errorf("median of 5, 1, 3, 2: got %v, want 2.5", got)
	}
	if got := r.Median("y"); got != 0 {
		t.Errorf("median of a series never seen: got %v, want 0", got)
	}
}

// TestSizePlanners: the studiers at their peak ask for plannersLoad times
// the capacity, capped at the handout's own users.
func TestSizePlanners(t *testing.T) {
	w := PlanWorkload{Name: "planners-and-studiers", TimeScale: 0.05, VUsScale: 0.15}
	got := sizePlanners(w, 40).(PlanWorkload)
	think := scenarios.StudierThink.Seconds() * 0.05
	if offered := scenarios.StudiersPeak * got.VUsScale / think; math.Abs(offered-plannersLoad*40) > 1e-9 {
		t.Errorf("peak offered %v listings/s, want %v × 40", offered, plannersLoad)
	}
	if got.TimeScale != 0.05 {
		t.Errorf("time scale changed to %v", got.TimeScale)
	}
	if got := sizePlanners(w, 1e6).(PlanWorkload); got.VUsScale != 1 {
		t.Errorf("a huge capacity: VUs scale %v, want the handout's 1", got.VUsScale)
	}
}

func rulesText(v Verdict) string {
	var b strings.Builder
	for _, c := range v.Rules {
		fmt.Fprintf(&b, "  %s %s: broken %v fixed %v, %s: %v\n", c.Purpose, c.Name, c.Broken, c.Fixed, c.Rule, c.Pass)
	}
	return b.String()
}

func TestRules(t *testing.T) {
	tests := []struct {
		name    string
		c       Rule
		purpose Purpose
		pass    bool
	}{
		{"at least, above", atLeast("x", "", 5, 0, 4), Symptom, true},
		{"at least, on the line", atLeast("x", "", 4, 0, 4), Symptom, true},
		{"at least, below", atLeast("x", "", 3.9, 0, 4), Symptom, false},
		{"at most, below", atMost("x", "", 0, 1, 2), Fix, true},
		{"at most, above", atMost("x", "", 0, 2.1, 2), Fix, false},
		{"fixed at least", fixedAtLeast("x", "", 0, 100, 100), Fix, true},
		{"broken at most", brokenAtMost("x", "", 51, 100, 50), Symptom, false},
		// The ratio is to the fixed figure, or to the floor when it is below.
		{"times, ratio met", times("x", "", 50, 10, 5, 1), Symptom, true},
		{"times, ratio missed", times("x", "", 49, 10, 5, 1), Symptom, false},
		{"times, fixed near zero uses the floor", times("x", "", 4, 0.001, 5, 1), Symptom, false},
		{"times, floor met", times("x", "", 5, 0, 5, 1), Symptom, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.c.Purpose != tt.purpose || tt.c.Pass != tt.pass {
				t.Errorf("got purpose %s pass %v (rule %q), want %s %v", tt.c.Purpose, tt.c.Pass, tt.c.Rule, tt.purpose, tt.pass)
			}
		})
	}
}

// A rule prints its bound with the figure's unit, as the figure is printed.
func TestRulesPrintTheirUnit(t *testing.T) {
	tests := []struct {
		c    Rule
		want string
	}{
		{brokenAtMost("connections served", "%", 28.25, 100, 50), "broken ≤ 50%"},
		{fixedAtLeast("connections served", "%", 28.25, 100, 100), "fixed ≥ 100%"},
		{atLeast("pool sum over max_connections", "×", 1.2, 0.5, 1.01), "broken ≥ 1.01×"},
		{times("p95 latency", "ms", 500, 20, 5, 10), "broken ≥ 5 × max(fixed, 10 ms)"},
		{atMost("health checks failed", "", 3, 0, 0), "fixed ≤ 0"},
	}
	for _, tt := range tests {
		if tt.c.Rule != tt.want {
			t.Errorf("%s: got rule %q, want %q", tt.c.Name, tt.c.Rule, tt.want)
		}
	}
	if got := WithUnit(28.25, "%") + " ≤ " + WithUnit(50, "%"); got != "28.25% ≤ 50%" {
		t.Errorf("got %q, want 28.25%% ≤ 50%%", got)
	}
}

func TestSelect(t *testing.T) {
	got, err := Select([]string{"db-saturation", "max-connections"})
	if err != nil || len(got) != 2 || got[0].Name != "db-saturation" {
		t.Fatalf("got %v, %v; want the two cases in order", got, err)
	}
	_, err = Select([]string{"db-saturation", "nope", "also-nope"})
	if err == nil || !strings.Contains(err.Error(), "also-nope, nope") {
		t.Errorf("got %v, want an error naming both unknown cases", err)
	}
	for _, n := range QuickCaseNames() {
		if _, ok := Lookup(n); !ok {
			t.Errorf("quick case %s: no such case", n)
		}
	}
}

// Every case states its source, its story and both setups, and its quick
// form keeps the setup's settings (it only shrinks the load).
func TestCasesAreComplete(t *testing.T) {
	for _, c := range All() {
		if c.Source == "" || c.Passage == "" || c.Story == "" || c.Judge == nil || c.Broken.Workload == nil || c.Fixed.Workload == nil ||
			c.Broken.Summary == "" || c.Fixed.Summary == "" {
			t.Errorf("%s: missing seed, passage, story, judge, a workload or a summary", c.Name)
		}
		if c.Quick != nil {
			q := c.Quick(c.Broken)
			if fmt.Sprint(q.API) != fmt.Sprint(c.Broken.API) || q.NoFile != c.Broken.NoFile || q.Instances != c.Broken.Instances {
				t.Errorf("%s: the quick setup changes the service's settings", c.Name)
			}
		}
	}
}

// A compressed plan says how long it lasts on the clock, not "time ×0.01".
func TestPlanWorkloadSaysHowLongItLasts(t *testing.T) {
	tests := []struct {
		w    PlanWorkload
		want string
	}{
		{PlanWorkload{Name: "website", Params: scenarios.Params{VUs: 400, Duration: 8 * time.Minute}, TimeScale: 0.01},
			"plan website (400 VUs, 8m0s of the plan played 100× faster, about 4.8s)"},
		{PlanWorkload{Name: "planners-and-studiers", Params: scenarios.Params{Variant: "practical"}, TimeScale: 0.05, VUsScale: 0.15},
			"plan planners-and-studiers (practical, the plan's waits and stages 20× shorter, 15% of the plan's VUs)"},
		{PlanWorkload{Name: "throughput", Params: scenarios.Params{VUs: 12, Duration: 6 * time.Second}},
			"plan throughput (12 VUs, 6s)"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
