package loadtests

import (
	"sync"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// Executor decides when a scenario's iterations start: the load model.
// This package's structs have the semantics of the k6 executors of the
// same name: ConstantVUs, RampingVUs, SharedIterations, PerVUIterations,
// ConstantArrivalRate, RampingArrivalRate.
//
// A user's package adds a load model by implementing Name and Run: Run
// starts iterations through its Schedule and returns once it has started
// them all (or the schedule is done). It may also implement
//
//	Validate() error          // refuse a setup that cannot run
//	Duration() time.Duration  // how long it starts iterations, if bounded
//	MaxVUs() int              // for the summary
//
// An executor of a user's package is not scaled by Options.TimeScale or
// VUsScale; it can read them from Schedule.
type Executor interface {
	// Name returns the executor's name, such as "ramping-vus".
	Name() string
	// Run starts the scenario's iterations through s.
	Run(s *Schedule)
}

// builtin is what this package's executors have besides Executor.
type builtin interface {
	describe(gracefulStop time.Duration) string
	maxVUs() int
	duration() time.Duration
	validate() error
	scaled(timeScale, vusScale float64) Executor
	run(s *scenarioRun)
	progress(s *scenarioRun, elapsed time.Duration) (fraction float64, detail string)
}

// Schedule is the scenario an Executor drives: it starts iterations on
// VUs of the scenario and says when no more may start.
type Schedule struct {
	s  *scenarioRun
	wg sync.WaitGroup
}

// Done is closed when no new iteration may start: the run is stopping or
// the executor's Duration is up.
func (sc *Schedule) Done() <-chan struct{} { return sc.s.stop.Done() }

// Elapsed returns how long the scenario has been running.
func (sc *Schedule) Elapsed() time.Duration { return sc.s.elapsed(time.Now()) }

// TimeScale and VUsScale return the run's scales (see Options), for an
// executor that scales itself.
func (sc *Schedule) TimeScale() float64 { return sc.s.eng.timeScale }

// VUsScale returns the run's VUs scale (see Options).
func (sc *Schedule) VUsScale() float64 { return sc.s.eng.vusScale }

// Start starts one iteration on an idle VU of the scenario, creating one
// when every VU is busy and fewer than maxVUs exist (maxVUs <= 0 sets no
// limit), and returns without waiting for it. It returns false when the
// schedule is done, or when every VU is busy, in which case the iteration
// counts as dropped, as k6's arrival-rate executors count them.
func (sc *Schedule) Start(maxVUs int) bool {
	s := sc.s
	if s.stop.Err() != nil {
		return false
	}
	if maxVUs <= 0 {
		maxVUs = int(^uint(0) >> 1)
	}
	vu := s.takeIdle(maxVUs)
	if vu == nil {
		s.eng.rec.Dropped(1)
		return false
	}
	s.active.Add(1)
	sc.wg.Go(func() {
		s.iterate(vu, s.hard)
		s.active.Add(-1)
		s.putVU(vu)
	})
	return true
}

// Wait waits until every iteration Start started has ended.
func (sc *Schedule) Wait() { sc.wg.Wait() }

// Late tells the run that an iteration started d after its schedule, for
// an open model: iterations starting late mean the generator cannot keep
// up (see metrics.Generator).
func (sc *Schedule) Late(d time.Duration) { sc.s.eng.late(d) }

// runUser runs an executor of a user's package.
func (s *scenarioRun) runUser(ex Executor) {
	sc := &Schedule{s: s}
	ex.Run(sc)
	sc.wg.Wait()
	s.mu.Lock()
	idle := append([]*VU(nil), s.free...)
	s.mu.Unlock()
	for _, vu := range idle {
		s.retire(vu)
	}
}

func execValidate(ex Executor) error {
	switch e := ex.(type) {
	case builtin:
		return e.validate()
	case interface{ Validate() error }:
		return e.Validate()
	}
	return nil
}

func execDuration(ex Executor) time.Duration {
	switch e := ex.(type) {
	case builtin:
		return e.duration()
	case interface{ Duration() time.Duration }:
		return e.Duration()
	}
	return 0
}

func execMaxVUs(ex Executor) int {
	switch e := ex.(type) {
	case builtin:
		return e.maxVUs()
	case interface{ MaxVUs() int }:
		return e.MaxVUs()
	}
	return 0
}

func execScaled(ex Executor, timeScale, vusScale float64) Executor {
	if b, ok := ex.(builtin); ok {
		return b.scaled(timeScale, vusScale)
	}
	return ex
}

func execDescribe(ex Executor, gracefulStop time.Duration) string {
	if b, ok := ex.(builtin); ok {
		return b.describe(gracefulStop)
	}
	return ex.Name() + " (" + gracefulNote(gracefulStop) + ")"
}

func execProgress(s *scenarioRun, now time.Time) (float64, string) {
	elapsed := s.elapsed(now)
	if b, ok := s.sc.Executor.(builtin); ok {
		return b.progress(s, elapsed)
	}
	detail := s.sc.Executor.Name() + " " + cli.FormatClock(elapsed)
	if d := execDuration(s.sc.Executor); d > 0 {
		return float64(elapsed) / float64(d), detail + "/" + fmtDuration(d)
	}
	return 0, detail
}

func (s *scenarioRun) runExecutor() {
	if b, ok := s.sc.Executor.(builtin); ok {
		b.run(s)
		return
	}
	s.runUser(s.sc.Executor)
}
