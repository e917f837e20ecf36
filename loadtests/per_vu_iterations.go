package loadtests

import (
	"fmt"
	"sync"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// PerVUIterations makes each of VUs run exactly Iterations iterations, as
// k6's per-vu-iterations. It stops early after MaxDuration (default 10
// minutes).
type PerVUIterations struct {
	VUs         int
	Iterations  int
	MaxDuration time.Duration
}

// Name returns "per-vu-iterations".
func (PerVUIterations) Name() string { return "per-vu-iterations" }

func (c PerVUIterations) describe(gs time.Duration) string {
	return fmt.Sprintf("%d iterations for each of %d VUs (maxDuration: %s, %s)",
		c.Iterations, c.VUs, fmtDuration(c.maxDuration()), gracefulNote(gs))
}

func (c PerVUIterations) maxVUs() int { return c.VUs }

func (c PerVUIterations) maxDuration() time.Duration {
	if c.MaxDuration <= 0 {
		return DefaultMaxDuration
	}
	return c.MaxDuration
}

func (c PerVUIterations) duration() time.Duration { return c.maxDuration() }

func (c PerVUIterations) validate() error {
	if c.VUs <= 0 {
		return fmt.Errorf("VUs must be positive, got %d", c.VUs)
	}
	if c.Iterations <= 0 {
		return fmt.Errorf("iterations must be positive, got %d", c.Iterations)
	}
	return nil
}

func (c PerVUIterations) scaled(t, v float64) Executor {
	c.MaxDuration = scaleDuration(c.maxDuration(), t)
	c.VUs = scaleCount(c.VUs, v)
	return c
}

// Run starts the iterations; the engine calls it.
func (c PerVUIterations) Run(s *Schedule) { c.run(s.s) }

func (c PerVUIterations) run(s *scenarioRun) {
	var wg sync.WaitGroup
	for range s.eng.part.Count(int64(c.VUs)) {
		vu := s.getVU()
		left := c.Iterations
		claim := func() bool {
			left--
			return left >= 0
		}
		wg.Go(func() { s.runVU(vu, s.stop, s.hard, claim) })
	}
	wg.Wait()
}

func (c PerVUIterations) progress(s *scenarioRun, elapsed time.Duration) (float64, string) {
	total := s.eng.part.Count(int64(c.VUs)) * int64(c.Iterations)
	done := s.complete.Load() + s.interrupted.Load()
	return float64(done) / float64(total),
		fmt.Sprintf("%d VUs %s/%s %d/%d iters, %d per VU", c.VUs, cli.FormatClock(elapsed),
			fmtDuration(c.maxDuration()), done, total, c.Iterations)
}
