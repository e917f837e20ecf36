package loadtests

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// ErrInvalid is wrapped by every error about a plan or options that cannot
// run: callers report those as usage errors.
var ErrInvalid = errors.New("invalid")

// Defaults, as k6's.
const (
	DefaultGracefulStop   = 30 * time.Second
	DefaultRequestTimeout = 60 * time.Second
	DefaultMaxDuration    = 10 * time.Minute
)

// Plan is one load test: scenarios that run side by side, each with its own
// executor, and what to check once they end.
type Plan struct {
	Name      string
	Scenarios []Scenario
	// Thresholds decide the run's verdict (see metrics.Threshold).
	Thresholds []string
	// Teardown runs once after every scenario ended, on a VU of its own
	// with an iteration that is never interrupted: count what the run left
	// behind, check it, report it. A run split into segments runs it once,
	// on the segment that owns global index 0, when that one ends.
	Teardown func(vu *VU) error
}

// Scenario is one workload of a plan.
type Scenario struct {
	Name     string
	Executor Executor
	User     User
	// StartTime delays the scenario from the start of the run.
	StartTime time.Duration
	// GracefulStop is how long iterations running when the scenario ends
	// may go on before they are interrupted. Zero means k6's default, 30 s;
	// a negative value means none.
	GracefulStop time.Duration
}

// Options are how a plan is run.
type Options struct {
	// Endpoint is the base URL requests are relative to.
	Endpoint string
	// TimeScale compresses every duration, stage and sleep (0.05 runs a
	// ten-minute plan in half a minute). Zero means 1.
	TimeScale float64
	// VUsScale scales every VU count (and shared iteration counts and
	// arrival rates with it, so each VU keeps its share of the work). Zero
	// means 1.
	VUsScale float64
	// RequestTimeout bounds each request; zero means 60 s, as k6.
	RequestTimeout time.Duration
	// TLSConfig, when set, is used for https endpoints (a private CA, say);
	// its ServerName is filled in per host.
	TLSConfig *tls.Config
	// HTTPClient names the VUs' HTTP client: ClientLean (the default, also
	// when empty), ClientStd or ClientHTTP2. When Proxy sends the
	// endpoint's requests through a proxy, ClientStd is used instead of
	// ClientLean; HTTPClientUsed says so.
	HTTPClient string
	// Proxy returns the proxy for a request's URL, nil for none, as
	// golang.org/x/net/http/httpproxy's Config.ProxyFunc (the command sets
	// it from HTTP_PROXY, HTTPS_PROXY and NO_PROXY). Nil means no proxy.
	Proxy func(*url.URL) (*url.URL, error)
	// MaxBody bounds the bytes of a response body kept for the scenario
	// (Response.Body); the rest is read and dropped, and still counted in
	// the bytes received. Zero means no bound.
	MaxBody int64
	// DiscardBodies keeps no body at all (k6's discardResponseBodies):
	// bodies are read, counted and dropped. Scenario code that decodes
	// responses gets nothing to decode.
	DiscardBodies bool
	// OnTick, when set, is called about once a second with the live state
	// of the run, and once more at the end with Done set.
	OnTick func(Progress)
	// Outputs receive the run as it goes, in order (see Output).
	Outputs []Output
	// Segment, when set, runs only this part of the plan: the VUs and
	// iterations the partition owns (see Partition). Nil runs it all.
	Segment *Partition

	// cpuTime replaces the process's CPU clock, for tests.
	cpuTime func() (time.Duration, bool)
}

// Progress is the live state of a run (see metrics.Progress).
type Progress = metrics.Progress

// ScenarioProgress is the live state of one scenario.
type ScenarioProgress = metrics.ScenarioProgress

func (p Plan) validate() error {
	if len(p.Scenarios) == 0 {
		return fmt.Errorf("%w plan %q: no scenarios", ErrInvalid, p.Name)
	}
	seen := map[string]bool{}
	for _, s := range p.Scenarios {
		if s.Name == "" {
			return fmt.Errorf("%w plan %q: a scenario has no name", ErrInvalid, p.Name)
		}
		if seen[s.Name] {
			return fmt.Errorf("%w plan %q: two scenarios named %q", ErrInvalid, p.Name, s.Name)
		}
		seen[s.Name] = true
		if s.Executor == nil {
			return fmt.Errorf("%w scenario %q: no executor", ErrInvalid, s.Name)
		}
		if err := execValidate(s.Executor); err != nil {
			return fmt.Errorf("%w scenario %q (%s): %v", ErrInvalid, s.Name, s.Executor.Name(), err)
		}
		if err := s.User.validate(); err != nil {
			return fmt.Errorf("%w scenario %q: %v", ErrInvalid, s.Name, err)
		}
		if s.StartTime < 0 {
			return fmt.Errorf("%w scenario %q: negative start time", ErrInvalid, s.Name)
		}
	}
	if _, err := metrics.ParseThresholds(p.Thresholds); err != nil {
		return fmt.Errorf("%w plan %q: %v", ErrInvalid, p.Name, err)
	}
	return nil
}

func (o *Options) validate() error {
	switch {
	case o.TimeScale == 0:
		o.TimeScale = 1
	case o.TimeScale < 0 || math.IsNaN(o.TimeScale) || math.IsInf(o.TimeScale, 0):
		return fmt.Errorf("%w time scale %v: want a positive number", ErrInvalid, o.TimeScale)
	}
	switch {
	case o.VUsScale == 0:
		o.VUsScale = 1
	case o.VUsScale < 0 || math.IsNaN(o.VUsScale) || math.IsInf(o.VUsScale, 0):
		return fmt.Errorf("%w VUs scale %v: want a positive number", ErrInvalid, o.VUsScale)
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.RequestTimeout < 0 {
		return fmt.Errorf("%w request timeout %v: want a positive duration", ErrInvalid, o.RequestTimeout)
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w endpoint %q: want a URL such as http://127.0.0.1:6400", ErrInvalid, o.Endpoint)
	}
	switch o.HTTPClient {
	case "", ClientLean, ClientStd, ClientHTTP2:
	default:
		return fmt.Errorf("%w HTTP client %q: want %s, %s or %s", ErrInvalid, o.HTTPClient, ClientLean, ClientStd, ClientHTTP2)
	}
	if o.MaxBody < 0 {
		return fmt.Errorf("%w max body %d: want a number of bytes, 0 for no bound", ErrInvalid, o.MaxBody)
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	return nil
}

// HTTPClientUsed returns the HTTP client a run with these options uses
// (ClientLean, ClientStd or ClientHTTP2) and, when it is not the one asked
// for, why: a proxy applies to the endpoint. It is empty when the endpoint
// does not parse.
func (o Options) HTTPClientUsed() (client, why string) {
	u, err := url.Parse(o.Endpoint)
	if err != nil {
		return "", ""
	}
	return chooseClient(o.HTTPClient, u, o.Proxy)
}

// Validate checks a plan and options without running anything; the error
// wraps ErrInvalid.
func Validate(plan Plan, opts Options) error {
	if err := opts.validate(); err != nil {
		return err
	}
	if err := plan.validate(); err != nil {
		return err
	}
	for _, sc := range plan.Scenarios {
		if err := checkSegment(execScaled(sc.Executor, opts.TimeScale, opts.VUsScale), opts.Segment); err != nil {
			return fmt.Errorf("%w scenario %q: %v", ErrInvalid, sc.Name, err)
		}
	}
	return nil
}

// engine is one run of a plan.
type engine struct {
	endpoint       string
	timeScale      float64
	vusScale       float64
	requestTimeout time.Duration
	client         clientConfig
	epoch          time.Time
	buffers        *buffers
	rec            *metrics.Recorder
	nextVU         atomic.Int64
	runs           []*scenarioRun
	lateness       lateness
	part           *Partition
	cpu            *cpuMonitor
	feeds          []*feed
	// thresholds are judged each second on the run so far, for Progress.
	thresholds []metrics.Threshold
	// stopDeadline is when a stop asked for by the caller gives up on
	// running iterations (unix nanoseconds), 0 until then.
	stopDeadline atomic.Int64
}

// clock returns nanoseconds on the monotonic clock since the run started
// (never 0, which marks a moment that did not happen).
func (e *engine) clock() int64 { return int64(time.Since(e.epoch)) + 1 }

func (e *engine) scaleTime(d time.Duration) time.Duration {
	return time.Duration(float64(d) * e.timeScale)
}

func (e *engine) unscaleTime(d time.Duration) time.Duration {
	return time.Duration(float64(d) / e.timeScale)
}

// Run runs the plan and returns its summary, with the plan's thresholds
// evaluated, once every output stopped. Cancelling ctx stops the run gracefully, as the end of every
// scenario does: no new iterations, running ones get their graceful stop,
// and the summary still comes back. Run returns an error wrapping ErrInvalid
// when the plan or options cannot run, and the errors of outputs that
// failed (the summary still comes back); it does not fail because requests do.
func Run(ctx context.Context, plan Plan, opts Options) (*metrics.Summary, error) {
	if err := Validate(plan, opts); err != nil {
		return nil, err
	}
	_ = opts.validate() // apply defaults to this copy
	thresholds, _ := metrics.ParseThresholds(plan.Thresholds)
	start := time.Now()
	e := &engine{
		endpoint:       opts.Endpoint,
		timeScale:      opts.TimeScale,
		vusScale:       opts.VUsScale,
		requestTimeout: opts.RequestTimeout,
		epoch:          start,
		part:           opts.Segment,
		buffers:        newBuffers(),
		rec:            metrics.NewRecorder(min(2*runtime.GOMAXPROCS(0), 16), start),
		thresholds:     thresholds,
	}
	kind, _ := opts.HTTPClientUsed()
	e.client = clientConfig{
		kind: kind, tls: opts.TLSConfig, proxy: opts.Proxy,
		maxBody: opts.MaxBody, discard: opts.DiscardBodies,
	}
	cpuTime := opts.cpuTime
	if cpuTime == nil {
		cpuTime = processCPU
	}
	e.cpu = newCPUMonitor(runtime.GOMAXPROCS(0), cpuTime, schedLatencies)
	e.cpu.sample(start)
	for _, sc := range plan.Scenarios {
		sc.Executor = execScaled(sc.Executor, opts.TimeScale, opts.VUsScale)
		sc.StartTime = e.scaleTime(sc.StartTime)
		switch {
		case sc.GracefulStop == 0:
			sc.GracefulStop = e.scaleTime(DefaultGracefulStop)
		case sc.GracefulStop < 0:
			sc.GracefulStop = 0
		default:
			sc.GracefulStop = e.scaleTime(sc.GracefulStop)
		}
		e.runs = append(e.runs, &scenarioRun{eng: e, sc: sc})
	}

	info := RunInfo{Plan: plan.Name, Endpoint: opts.Endpoint, Start: start}
	for _, s := range e.runs {
		info.Scenarios = append(info.Scenarios, s.sc.Name)
	}
	outs, err := e.startOutputs(opts.Outputs, opts.OnTick, info)
	if err != nil {
		return nil, err
	}
	tickerDone := make(chan struct{})
	stopTicker := make(chan struct{})
	go func() {
		defer close(tickerDone)
		e.tickEachSecond(stopTicker, outs.tick)
	}()

	// Asked to stop: say at once how long running iterations may take.
	stopSaid := make(chan struct{})
	unhookStop := context.AfterFunc(ctx, func() {
		defer close(stopSaid)
		now := time.Now()
		e.stopDeadline.Store(now.Add(e.gracefulWait()).UnixNano())
		outs.tick(e.progress(now, metrics.Point{Duration: metrics.NewHistogram()}))
	})
	var wg sync.WaitGroup
	for _, s := range e.runs {
		wg.Go(func() { s.run(ctx) })
	}
	wg.Wait()
	if !unhookStop() {
		<-stopSaid // the stopping line comes before the end
	}

	if plan.Teardown != nil && e.part.Owns(0) { // once per run: on the segment of index 0
		e.teardown(ctx, plan.Teardown)
	}
	close(stopTicker)
	<-tickerDone
	droppedSamples := e.drain()
	end := time.Now()
	e.cpu.sample(end)
	last := e.rec.Tick(end, 0)
	sum := e.rec.Summary(end)
	sum.Plan = plan.Name
	for _, s := range e.runs {
		sum.Scenarios = append(sum.Scenarios, metrics.ScenarioInfo{
			Name: s.sc.Name, Executor: s.sc.Executor.Name(),
			Description: execDescribe(s.sc.Executor, s.sc.GracefulStop) + segmentNote(s.sc.Executor, e.part),
			MaxVUs:      execMaxVUs(s.sc.Executor),
		})
		sum.VUsMax += s.allocated.Load()
	}
	sum.Generator = e.cpu.generator(&e.lateness)
	sum.Generator.DroppedSamples = droppedSamples
	sum.Thresholds, _ = metrics.EvaluateAll(sum, thresholds)
	p := e.progress(end, last)
	p.Done = true
	p.Thresholds = sum.Thresholds // the verdicts the summary has, to the letter
	outs.tick(p)
	var errs []error
	for _, o := range outs.all {
		if err := o.Stop(sum); err != nil {
			errs = append(errs, fmt.Errorf("output %s: %w", outputName(o), err))
		}
	}
	return sum, errors.Join(errs...)
}

// tickEachSecond closes a point of the time series on every whole second of
// the wall clock, so that runs made side by side line up when merged.
func (e *engine) tickEachSecond(stop <-chan struct{}, onTick func(Progress)) {
	for {
		now := time.Now()
		next := now.Truncate(time.Second).Add(time.Second)
		t := time.NewTimer(next.Sub(now))
		select {
		case <-stop:
			t.Stop()
			return
		case now = <-t.C:
		}
		e.cpu.sample(now)
		p := e.rec.Tick(now, e.activeVUs())
		if onTick != nil {
			onTick(e.progress(now, p))
		}
	}
}

// gracefulWait is the longest graceful stop among the scenarios with
// iterations running: how long a stop may wait for them.
func (e *engine) gracefulWait() time.Duration {
	var d time.Duration
	for _, s := range e.runs {
		if s.active.Load() > 0 {
			d = max(d, s.sc.GracefulStop)
		}
	}
	return d
}

func (e *engine) activeVUs() int64 {
	var n int64
	for _, s := range e.runs {
		n += s.active.Load()
	}
	return n
}

func (e *engine) progress(now time.Time, last metrics.Point) Progress {
	p := Progress{Elapsed: now.Sub(e.epoch), Last: last, VUs: e.activeVUs(), Generator: e.cpu.generator(&e.lateness)}
	if dl := e.stopDeadline.Load(); dl != 0 {
		p.Stopping = true
		p.StopLeft = max(time.Unix(0, dl).Sub(now), 0)
	}
	for _, pt := range e.rec.Series() {
		p.Requests += pt.Requests
		p.Failed += pt.Failed
		p.Complete += pt.Iterations
		p.Interrupted += pt.Interrupted
		p.Dropped += pt.Dropped
	}
	if len(e.thresholds) > 0 {
		live := e.rec.Live(now)
		live.Generator = p.Generator
		p.Thresholds, _ = metrics.EvaluateAll(live, e.thresholds)
		for name, c := range live.Checks {
			if p.Checks == nil {
				p.Checks = map[string]metrics.CheckStats{}
			}
			p.Checks[name] = *c
		}
	} else {
		p.Checks = e.rec.Checks()
	}
	for _, s := range e.runs {
		p.VUsMax += s.allocated.Load()
		frac, detail := execProgress(s, now)
		p.Scenarios = append(p.Scenarios, ScenarioProgress{
			Name: s.sc.Name, Fraction: min(max(frac, 0), 1), VUs: s.active.Load(), Detail: detail,
		})
	}
	return p
}

// teardown runs the plan's teardown on a VU of its own. It is not cut short
// by a graceful stop, only bounded.
func (e *engine) teardown(ctx context.Context, f func(vu *VU) error) {
	vu := e.newVU("teardown")
	defer vu.close()
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*e.requestTimeout)
	defer cancel()
	vu.ctx = tctx
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return f(vu)
	}()
	if err != nil {
		vu.shard.Error("teardown", "teardown", err.Error())
	}
}

func scaleDuration(d time.Duration, f float64) time.Duration {
	return time.Duration(float64(d) * f)
}

// scaleCount scales a VU count or a number of iterations; a positive count
// never scales to zero.
func scaleCount(n int, f float64) int {
	if n <= 0 {
		return n
	}
	return max(int(math.Round(float64(n)*f)), 1)
}
