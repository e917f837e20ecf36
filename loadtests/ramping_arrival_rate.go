package loadtests

import (
	"fmt"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// RampingArrivalRate moves the rate at which iterations start through
// Stages (targets in iterations per TimeUnit, default one second), starting
// from StartRate, as k6's ramping-arrival-rate. VUs and dropped iterations
// behave as in ConstantArrivalRate.
type RampingArrivalRate struct {
	StartRate       int
	TimeUnit        time.Duration
	Stages          []Stage
	PreAllocatedVUs int
	MaxVUs          int
}

// Name returns "ramping-arrival-rate".
func (RampingArrivalRate) Name() string { return "ramping-arrival-rate" }

func (c RampingArrivalRate) timeUnit() time.Duration {
	if c.TimeUnit <= 0 {
		return time.Second
	}
	return c.TimeUnit
}

func (c RampingArrivalRate) peakRate() int {
	r := c.StartRate
	for _, s := range c.Stages {
		r = max(r, s.Target)
	}
	return r
}

func (c RampingArrivalRate) describe(gs time.Duration) string {
	pre, mx := arrivalLimits(c.PreAllocatedVUs, c.MaxVUs)
	return fmt.Sprintf("Up to %d iterations per %s for %s over %d stages (maxVUs: %d-%d, %s)",
		c.peakRate(), fmtDuration(c.timeUnit()), fmtDuration(c.duration()), len(c.Stages), pre, mx, gracefulNote(gs))
}

func (c RampingArrivalRate) maxVUs() int {
	_, mx := arrivalLimits(c.PreAllocatedVUs, c.MaxVUs)
	return mx
}

func (c RampingArrivalRate) duration() time.Duration {
	var d time.Duration
	for _, s := range c.Stages {
		d += s.Duration
	}
	return d
}

func (c RampingArrivalRate) validate() error {
	switch {
	case c.StartRate < 0:
		return fmt.Errorf("start rate must not be negative, got %d", c.StartRate)
	case len(c.Stages) == 0:
		return fmt.Errorf("no stages")
	case c.PreAllocatedVUs <= 0:
		return fmt.Errorf("pre-allocated VUs must be positive, got %d", c.PreAllocatedVUs)
	}
	for i, s := range c.Stages {
		if s.Duration < 0 || s.Target < 0 {
			return fmt.Errorf("stage %d: negative duration or target", i+1)
		}
	}
	if c.duration() <= 0 {
		return fmt.Errorf("the stages last no time")
	}
	return nil
}

func (c RampingArrivalRate) scaled(t, v float64) Executor {
	c.TimeUnit = scaleDuration(c.timeUnit(), t)
	c.StartRate = scaleCount(c.StartRate, v)
	c.PreAllocatedVUs = scaleCount(c.PreAllocatedVUs, v)
	c.MaxVUs = scaleCount(c.MaxVUs, v)
	stages := make([]Stage, len(c.Stages))
	for i, s := range c.Stages {
		stages[i] = Stage{Duration: scaleDuration(s.Duration, t), Target: scaleCount(s.Target, v)}
	}
	c.Stages = stages
	return c
}

// due integrates the piecewise linear rate: iterations due by t.
func (c RampingArrivalRate) due(t time.Duration) float64 {
	unit := float64(c.timeUnit())
	from := float64(c.StartRate)
	var at time.Duration
	var n float64
	for _, s := range c.Stages {
		to := float64(s.Target)
		if s.Duration == 0 {
			from = to
			continue
		}
		if t <= at+s.Duration {
			x := float64(t - at)
			slope := (to - from) / float64(s.Duration)
			return n + (from*x+slope*x*x/2)/unit
		}
		n += (from + to) / 2 * float64(s.Duration) / unit
		at += s.Duration
		from = to
	}
	return n
}

// Run starts the iterations; the engine calls it.
func (c RampingArrivalRate) Run(s *Schedule) { c.run(s.s) }

func (c RampingArrivalRate) run(s *scenarioRun) {
	pre, mx := arrivalLimits(c.PreAllocatedVUs, c.MaxVUs)
	arrivals{due: c.due, end: c.duration(), preAllocated: pre, maxVUs: mx}.run(s)
}

func (c RampingArrivalRate) progress(s *scenarioRun, elapsed time.Duration) (float64, string) {
	total := c.duration()
	return float64(elapsed) / float64(total),
		fmt.Sprintf("%d/%d VUs %s/%s", s.active.Load(), c.maxVUs(), cli.FormatClock(min(elapsed, total)), fmtDuration(total))
}
