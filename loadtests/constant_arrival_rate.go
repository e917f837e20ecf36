package loadtests

import (
	"fmt"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// ConstantArrivalRate starts Rate iterations per TimeUnit (default one
// second) for Duration, whether or not earlier ones finished, as k6's
// constant-arrival-rate (an open model). It starts PreAllocatedVUs VUs and
// adds more up to MaxVUs when all are busy; an iteration due when all
// MaxVUs are busy is dropped and counted in dropped_iterations.
type ConstantArrivalRate struct {
	Rate            int
	TimeUnit        time.Duration
	Duration        time.Duration
	PreAllocatedVUs int
	MaxVUs          int
}

// Name returns "constant-arrival-rate".
func (ConstantArrivalRate) Name() string { return "constant-arrival-rate" }

func (c ConstantArrivalRate) timeUnit() time.Duration {
	if c.TimeUnit <= 0 {
		return time.Second
	}
	return c.TimeUnit
}

func (c ConstantArrivalRate) describe(gs time.Duration) string {
	pre, mx := arrivalLimits(c.PreAllocatedVUs, c.MaxVUs)
	return fmt.Sprintf("%d iterations per %s for %s (maxVUs: %d-%d, %s)",
		c.Rate, fmtDuration(c.timeUnit()), fmtDuration(c.Duration), pre, mx, gracefulNote(gs))
}

func (c ConstantArrivalRate) maxVUs() int {
	_, mx := arrivalLimits(c.PreAllocatedVUs, c.MaxVUs)
	return mx
}

func (c ConstantArrivalRate) duration() time.Duration { return c.Duration }

func (c ConstantArrivalRate) validate() error {
	switch {
	case c.Rate <= 0:
		return fmt.Errorf("rate must be positive, got %d", c.Rate)
	case c.Duration <= 0:
		return fmt.Errorf("duration must be positive, got %v", c.Duration)
	case c.PreAllocatedVUs <= 0:
		return fmt.Errorf("pre-allocated VUs must be positive, got %d", c.PreAllocatedVUs)
	}
	return nil
}

func (c ConstantArrivalRate) scaled(t, v float64) Executor {
	c.TimeUnit = scaleDuration(c.timeUnit(), t)
	c.Duration = scaleDuration(c.Duration, t)
	c.Rate = scaleCount(c.Rate, v)
	c.PreAllocatedVUs = scaleCount(c.PreAllocatedVUs, v)
	c.MaxVUs = scaleCount(c.MaxVUs, v)
	return c
}

func (c ConstantArrivalRate) arrivals() arrivals {
	pre, mx := arrivalLimits(c.PreAllocatedVUs, c.MaxVUs)
	perNano := float64(c.Rate) / float64(c.timeUnit())
	return arrivals{
		due:          func(t time.Duration) float64 { return float64(t) * perNano },
		end:          c.Duration,
		preAllocated: pre,
		maxVUs:       mx,
	}
}

// Run starts the iterations; the engine calls it.
func (c ConstantArrivalRate) Run(s *Schedule) { c.run(s.s) }

func (c ConstantArrivalRate) run(s *scenarioRun) { c.arrivals().run(s) }

func (c ConstantArrivalRate) progress(s *scenarioRun, elapsed time.Duration) (float64, string) {
	return float64(elapsed) / float64(c.Duration),
		fmt.Sprintf("%d/%d VUs %s/%s %d/%s", s.active.Load(), c.maxVUs(), cli.FormatClock(min(elapsed, c.Duration)),
			fmtDuration(c.Duration), c.Rate, fmtDuration(c.timeUnit()))
}
