package loadtests

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// SharedIterations runs exactly Iterations iterations shared among VUs, each
// VU taking the next one as soon as it is free, as k6's shared-iterations.
// It stops early after MaxDuration (default 10 minutes).
type SharedIterations struct {
	VUs         int
	Iterations  int
	MaxDuration time.Duration
}

// Name returns "shared-iterations".
func (SharedIterations) Name() string { return "shared-iterations" }

func (c SharedIterations) describe(gs time.Duration) string {
	return fmt.Sprintf("%d iterations shared among %d VUs (maxDuration: %s, %s)",
		c.Iterations, c.VUs, fmtDuration(c.maxDuration()), gracefulNote(gs))
}

func (c SharedIterations) maxVUs() int { return min(c.VUs, c.Iterations) }

func (c SharedIterations) maxDuration() time.Duration {
	if c.MaxDuration <= 0 {
		return DefaultMaxDuration
	}
	return c.MaxDuration
}

func (c SharedIterations) duration() time.Duration { return c.maxDuration() }

func (c SharedIterations) validate() error {
	if c.VUs <= 0 {
		return fmt.Errorf("VUs must be positive, got %d", c.VUs)
	}
	if c.Iterations <= 0 {
		return fmt.Errorf("iterations must be positive, got %d", c.Iterations)
	}
	return nil
}

func (c SharedIterations) scaled(t, v float64) Executor {
	c.MaxDuration = scaleDuration(c.maxDuration(), t)
	c.VUs = scaleCount(c.VUs, v)
	c.Iterations = scaleCount(c.Iterations, v)
	return c
}

// Run starts the iterations; the engine calls it.
func (c SharedIterations) Run(s *Schedule) { c.run(s.s) }

func (c SharedIterations) run(s *scenarioRun) {
	var n atomic.Int64
	total := s.eng.part.Count(int64(c.Iterations))
	claim := func() bool { return n.Add(1) <= total }
	var wg sync.WaitGroup
	for range min(s.eng.part.Count(int64(c.maxVUs())), total) {
		vu := s.getVU()
		wg.Go(func() { s.runVU(vu, s.stop, s.hard, claim) })
	}
	wg.Wait()
}

func (c SharedIterations) progress(s *scenarioRun, elapsed time.Duration) (float64, string) {
	done := s.complete.Load() + s.interrupted.Load()
	total := s.eng.part.Count(int64(c.Iterations))
	return float64(done) / float64(max(total, 1)),
		fmt.Sprintf("%d VUs %s/%s %d/%d shared iters", s.eng.part.Count(int64(c.maxVUs())), cli.FormatClock(elapsed),
			fmtDuration(c.maxDuration()), done, total)
}
