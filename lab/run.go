package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskoverflow-lab/taskoverflow/internal/apiproc"
	"github.com/taskoverflow-lab/taskoverflow/internal/backing"
	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/internal/faults"
	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// SetupRun is one run of a setup: what the load measured, what the sampler saw
// and what the server logged.
type SetupRun struct {
	Label string `json:"label"`
	// Setup is not written: a reader knows the case it ran (see keptRun).
	Setup Setup     `json:"-"`
	Start time.Time `json:"start"`
	// LoadAt is when the load started, after Start; Elapsed covers the
	// load, from its start to its end.
	LoadAt  time.Duration `json:"load_at"`
	Elapsed time.Duration `json:"elapsed"`
	// Capacity is what the calibration measured, in requests a second (0
	// without one).
	Capacity float64 `json:"capacity,omitempty"`
	// CPU says how the API's CPU was limited, as applied.
	CPU string `json:"cpu"`
	// Pids of the API instances.
	Pids    []int           `json:"pids"`
	Samples []sample.Sample `json:"samples"`
	// Summary is the load plan's summary (nil for the connection check),
	// Conn the connection check's report (nil for a plan).
	Summary *metrics.Summary  `json:"summary,omitempty"`
	Conn    *conncheck.Report `json:"conn,omitempty"`
	// Logs holds each instance's log lines (JSON, one object a line).
	Logs [][]byte `json:"logs"`
}

// Runner runs cases and writes their results.
type Runner struct {
	// Dir is where results go: Dir/CASE/. Empty writes nothing.
	Dir string
	// Progress receives a line per step; nil prints nothing.
	Progress io.Writer
	// Quick runs each case's quick setups.
	Quick bool
	// Binary is the API server binary; empty builds ./cmd/taskoverflow.
	Binary string
	// BrokenRuns, when set, is the directory where Verify and VerifyPlan
	// keep each case's shipped broken run (the handout's run) and reuse it
	// on later verifications on this machine.
	BrokenRuns string
}

// Result is a case run: both runs, the verdict, and the control verdict
// (the fixed run judged as if it were the broken one).
type Result struct {
	Case    Case
	Broken  *SetupRun
	Fixed   *SetupRun
	Verdict Verdict
	Control Verdict
	// Dir is where the case's results were written.
	Dir string
}

// OK reports whether the case reproduced its symptom, its fix cleared it,
// and the control run told the two apart.
func (r *Result) OK() bool { return r.Verdict.Passed() && !r.Control.Passed() }

func (r *Runner) printf(format string, args ...any) {
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, format, args...)
	}
}

// RunCase runs c's broken setup, then its fixed one, and judges them. Each
// run's files (summary, samples, logs) go under Dir/CASE/broken and fixed;
// the case's reports are package report's. It returns an error when a run could not be made; a case
// that ran but did not pass is a Result whose OK is false.
func (r *Runner) RunCase(ctx context.Context, c Case) (*Result, error) {
	res := &Result{Case: c}
	if r.Dir != "" {
		res.Dir = filepath.Join(r.Dir, c.Name)
		if err := os.MkdirAll(res.Dir, 0o755); err != nil {
			return nil, err
		}
	}
	broken, fixed := c.Broken, c.Fixed
	if r.Quick && c.Quick != nil {
		broken, fixed = c.Quick(broken), c.Quick(fixed)
	}
	r.printf("%s: %s\n", c.Name, c.Story)
	var err error
	if res.Broken, err = r.runSetup(ctx, c.Name, "broken", broken, res.Dir); err != nil {
		return nil, fmt.Errorf("%s, broken run: %w", c.Name, err)
	}
	fixed = sizedAs(fixed, res.Broken)
	if res.Fixed, err = r.runSetup(ctx, c.Name, "fixed", fixed, res.Dir); err != nil {
		return nil, fmt.Errorf("%s, fixed run: %w", c.Name, err)
	}
	res.Verdict = Judge(c, res.Broken, res.Fixed)
	res.Control = Judge(c, res.Fixed, res.Fixed)
	return res, nil
}

// sizedAs returns s with its load sized from the capacity the broken run
// measured, so that both runs of a calibrated case take the same load.
func sizedAs(s Setup, broken *SetupRun) Setup {
	if c := broken.Setup.Calibrate; c != nil && broken.Capacity > 0 {
		s.Calibrate = nil
		s.Workload = c.Size(s.Workload, broken.Capacity)
	}
	return s
}

// calibrate measures the capacity of the API instances at urls for c's
// request, in requests served a second.
func (r *Runner) calibrate(ctx context.Context, c *Calibration, urls []string, label string) (float64, error) {
	w := PlanWorkload{Name: "throughput", Params: scenarios.Params{VUs: c.VUs, Duration: c.Duration, Path: c.Path},
		RequestTimeout: 10 * time.Second}
	out, err := w.run(ctx, urls, nil, label+"-calibration")
	if err != nil {
		return 0, err
	}
	cal := &SetupRun{Summary: out.summary, Elapsed: out.summary.Elapsed()}
	if cal.ServedPerSecond() <= 0 {
		return 0, fmt.Errorf("calibration: no request to %s was served in %s", c.Path, c.Duration)
	}
	return cal.ServedPerSecond(), nil
}

// runSetup starts fresh backing services and the API as s says, drives the
// load while sampling, and stops everything.
func (r *Runner) runSetup(ctx context.Context, name, label string, s Setup, caseDir string) (_ *SetupRun, err error) {
	run := &SetupRun{Label: label, Setup: s}
	dir := ""
	if caseDir != "" {
		dir = filepath.Join(caseDir, label)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	r.printf("  %s: %s\n", label, strings.Join(s.Describe(), ", "))

	env, err := backing.Start(ctx, backing.Options{MaxConnections: s.PGMaxConnections})
	if err != nil {
		return nil, fmt.Errorf("backing services: %w", err)
	}
	defer env.Close()

	// The sampler connects first, so that its Postgres slot is taken
	// before the API instances compete for theirs.
	sampler := &sample.Sampler{DatabaseURL: env.DatabaseURL, RedisURL: env.RedisURL}
	if err := sampler.Open(ctx); err != nil {
		return nil, err
	}
	defer sampler.Close()

	// A slow database: the API reaches Postgres through a proxy that
	// delays its answers once the load starts.
	apiDatabaseURL := env.DatabaseURL
	var pgProxy *faults.Proxy
	if s.PGLatency > 0 {
		var err error
		if pgProxy, apiDatabaseURL, err = faults.ListenURL("postgres", env.DatabaseURL); err != nil {
			return nil, err
		}
		defer pgProxy.Close()
	}

	var procs []*apiproc.Process
	var releases []func() // each instance's CPU limit, once it has exited
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		defer cancel()
		for _, p := range procs {
			p.Stop(stopCtx)
			run.Logs = append(run.Logs, p.Logs())
		}
		for _, release := range releases {
			release()
		}
		if dir != "" && err == nil {
			err = writeLogs(dir, run.Logs)
		}
	}()
	for i := range s.instances() {
		apiEnv := s.Env()
		apiEnv["DATABASE_URL"], apiEnv["REDIS_URL"] = apiDatabaseURL, env.RedisURL
		// The CPU limit holds from the process's start, not from after it
		// has settled.
		prepare := func(cmd *exec.Cmd) error {
			applied, release, err := s.CPU.Prepare(cmd)
			if err != nil {
				return err
			}
			releases = append(releases, release)
			run.CPU = applied
			return nil
		}
		p, err := apiproc.Start(ctx, apiproc.Options{Binary: r.Binary, Env: apiEnv, NoFile: s.NoFile, Prepare: prepare})
		if err != nil {
			return nil, fmt.Errorf("API instance %d: %w", i+1, err)
		}
		procs = append(procs, p)
		run.Pids = append(run.Pids, p.Pid)
		sampler.URLs = append(sampler.URLs, p.URL)
	}
	sampler.Pids = run.Pids
	if s.SeedTodos > 0 {
		if err := seedTodos(ctx, env.DatabaseURL, s.SeedTodos); err != nil {
			return nil, err
		}
	}
	r.printf("  %s: %d API instance(s) up (pid %s), CPU: %s\n", label, len(procs), joinInts(run.Pids), run.CPU)
	if s.Calibrate != nil {
		capacity, err := r.calibrate(ctx, s.Calibrate, sampler.URLs, label)
		if err != nil {
			return nil, err
		}
		s.Workload = s.Calibrate.Size(s.Workload, capacity)
		run.Setup, run.Capacity = s, capacity
		r.printf("  %s: capacity %s requests/s for GET %s; load: %s\n", label, cli.FormatNumber(capacity),
			s.Calibrate.Path, s.Workload)
		// Let the calibration's last requests drain.
		time.Sleep(time.Second)
	}

	// The sampler runs from just before the load to a couple of seconds
	// after it, so that charts show the idle server on both sides.
	sampleCtx, stopSampling := context.WithCancel(ctx)
	samples := make(chan []sample.Sample, 1)
	run.Start = time.Now()
	go func() { samples <- sampler.Run(sampleCtx, run.Start) }()
	time.Sleep(time.Second)

	if pgProxy != nil {
		if _, err := pgProxy.AddLatency(faults.Downstream, int(s.PGLatency.Milliseconds()), 0); err != nil {
			stopSampling()
			<-samples
			return nil, err
		}
	}
	loadStart := time.Now()
	run.LoadAt = loadStart.Sub(run.Start)
	out, loadErr := s.Workload.run(ctx, sampler.URLs, r.Progress, label)
	run.Elapsed = time.Since(loadStart)
	time.Sleep(1100 * time.Millisecond)
	stopSampling()
	run.Samples = <-samples
	if loadErr != nil {
		return nil, fmt.Errorf("load: %w", loadErr)
	}
	run.Summary, run.Conn = out.summary, out.conn
	r.printf("  %s: done in %s\n", label, cli.FormatDuration(run.Elapsed))
	if dir != "" {
		if err := writeRun(dir, run); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// seedTodos fills the todos table with n rows: titles and descriptions of
// realistic length, deadlines spread over two years, a third of them done.
func seedTodos(ctx context.Context, databaseURL string, n int) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("seed todos: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO todos (title, description, completed, deadline_at)
		SELECT 'Seeded todo number ' || i, repeat('Read the chapter and take notes. ', 3),
		       i % 3 = 0, now() + ((i * 7919) % 730 - 30) * interval '1 day'
		FROM generate_series(1, $1) AS i`, n)
	if err == nil {
		_, err = conn.Exec(ctx, "ANALYZE todos")
	}
	if err != nil {
		return fmt.Errorf("seed todos: %w", err)
	}
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// writeRun writes a run's summary (or connection check report) and samples.
func writeRun(dir string, run *SetupRun) error {
	if run.Summary != nil {
		if err := run.Summary.WriteFile(filepath.Join(dir, "summary.json")); err != nil {
			return err
		}
	}
	if run.Conn != nil {
		b, err := json.MarshalIndent(run.Conn, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "conncheck.json"), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	if err := sample.WriteSamples(&b, run.Samples); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "samples.jsonl"), b.Bytes(), 0o644)
}

// writeLogs writes each instance's log: api.log, or api-1.log, api-2.log…
func writeLogs(dir string, logs [][]byte) error {
	var errs []error
	for i, l := range logs {
		name := "api.log"
		if len(logs) > 1 {
			name = fmt.Sprintf("api-%d.log", i+1)
		}
		errs = append(errs, os.WriteFile(filepath.Join(dir, name), l, 0o644))
	}
	return errors.Join(errs...)
}

// Figures the judges read off a run.

// Delta returns how much a counter series grew over the run (last sample
// minus first), 0 when it was never seen.
func (r *SetupRun) Delta(series string) float64 {
	first, last := math.NaN(), math.NaN()
	for _, s := range r.Samples {
		v, ok := s.Values[series]
		if !ok {
			continue
		}
		if math.IsNaN(first) {
			first = v
		}
		last = v
	}
	if math.IsNaN(first) {
		return 0
	}
	return last - first
}

// Peak returns the largest value a series took, 0 when it was never seen.
func (r *SetupRun) Peak(series string) float64 {
	peak := 0.0
	for _, s := range r.Samples {
		peak = math.Max(peak, s.Values[series])
	}
	return peak
}

// Sum adds a series' values over every sample (for per-sample counts such
// as health checks).
func (r *SetupRun) Sum(series string) float64 {
	sum := 0.0
	for _, s := range r.Samples {
		sum += s.Values[series]
	}
	return sum
}

// Median returns the median of a per-sample series over the samples taken
// while the load ran, 0 when it has none there.
func (r *SetupRun) Median(series string) float64 {
	var vs []float64
	for _, s := range r.Samples {
		v, ok := s.Values[series]
		if ok && s.T >= r.LoadAt && s.T <= r.LoadAt+r.Elapsed {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
	return vs[len(vs)/2]
}

// LogLines counts the log lines, of every instance, that contain each of subs.
func (r *SetupRun) LogLines(subs ...string) int {
	n := 0
	for _, l := range r.Logs {
		for line := range bytes.Lines(l) {
			all := true
			for _, s := range subs {
				if !bytes.Contains(line, []byte(s)) {
					all = false
					break
				}
			}
			if all {
				n++
			}
		}
	}
	return n
}

// Requests returns the requests the load made and how many failed.
func (r *SetupRun) Requests() (total, failed int64) {
	if r.Summary == nil {
		return 0, 0
	}
	t := r.Summary.Total()
	return t.Count, t.Failed
}

// FailedRate returns the share of the load's requests that failed, 0 to 1.
func (r *SetupRun) FailedRate() float64 {
	total, failed := r.Requests()
	if total == 0 {
		return 0
	}
	return float64(failed) / float64(total)
}

// ServedPerSecond returns the load's requests that did not fail, per second of the load.
func (r *SetupRun) ServedPerSecond() float64 {
	total, failed := r.Requests()
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(total-failed) / r.Elapsed.Seconds()
}

// P95 returns the 95th percentile of the load's request durations, in milliseconds.
func (r *SetupRun) P95() float64 {
	if r.Summary == nil {
		return 0
	}
	return float64(r.Summary.Total().Duration.Percentile(95).Microseconds()) / 1000
}

// CheckFailRate returns the share of the load's checks that failed, 0 to 1.
func (r *SetupRun) CheckFailRate() float64 {
	if r.Summary == nil {
		return 0
	}
	c := r.Summary.ChecksTotal()
	if c.Pass+c.Fail == 0 {
		return 0
	}
	return float64(c.Fail) / float64(c.Pass+c.Fail)
}

// Finding returns a number the load plan reported, such as todos left behind.
func (r *SetupRun) Finding(name string) float64 {
	if r.Summary == nil {
		return 0
	}
	return float64(r.Summary.Findings[name])
}
