package loadtests

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// Stage is one step of a ramping executor: move linearly to Target (VUs, or
// iterations per time unit) over Duration.
type Stage struct {
	Duration time.Duration
	Target   int
}

// RampingVUs moves the number of looping VUs through Stages, starting from
// StartVUs, as k6's ramping-vus. A VU removed by a ramp down finishes its
// iteration first, for up to GracefulRampDown (zero means 30 s, negative
// none); after that its iteration is interrupted.
type RampingVUs struct {
	StartVUs         int
	Stages           []Stage
	GracefulRampDown time.Duration
}

// Name returns "ramping-vus".
func (RampingVUs) Name() string { return "ramping-vus" }

func (c RampingVUs) describe(gs time.Duration) string {
	return fmt.Sprintf("Up to %d looping VUs for %s over %d stages (gracefulRampDown: %s, %s)",
		c.maxVUs(), fmtDuration(c.duration()), len(c.Stages), fmtDuration(c.gracefulRampDown()), gracefulNote(gs))
}

func (c RampingVUs) maxVUs() int {
	n := c.StartVUs
	for _, s := range c.Stages {
		n = max(n, s.Target)
	}
	return n
}

func (c RampingVUs) duration() time.Duration {
	var d time.Duration
	for _, s := range c.Stages {
		d += s.Duration
	}
	return d
}

func (c RampingVUs) gracefulRampDown() time.Duration {
	switch {
	case c.GracefulRampDown == 0:
		return DefaultGracefulStop
	case c.GracefulRampDown < 0:
		return 0
	}
	return c.GracefulRampDown
}

func (c RampingVUs) validate() error {
	if c.StartVUs < 0 {
		return fmt.Errorf("start VUs must not be negative, got %d", c.StartVUs)
	}
	if len(c.Stages) == 0 {
		return fmt.Errorf("no stages")
	}
	for i, s := range c.Stages {
		if s.Duration < 0 || s.Target < 0 {
			return fmt.Errorf("stage %d: negative duration or target", i+1)
		}
	}
	if c.duration() <= 0 {
		return fmt.Errorf("the stages last no time")
	}
	if c.maxVUs() == 0 {
		return fmt.Errorf("the stages never have a VU")
	}
	return nil
}

func (c RampingVUs) scaled(t, v float64) Executor {
	c.StartVUs = scaleCount(c.StartVUs, v)
	c.GracefulRampDown = scaleDuration(c.gracefulRampDown(), t)
	if c.GracefulRampDown == 0 {
		c.GracefulRampDown = -1
	}
	stages := make([]Stage, len(c.Stages))
	for i, s := range c.Stages {
		stages[i] = Stage{Duration: scaleDuration(s.Duration, t), Target: scaleCount(s.Target, v)}
	}
	c.Stages = stages
	return c
}

// vuStep says the scenario has VUs active VUs from At on.
type vuStep struct {
	At  time.Duration
	VUs int
}

// steps returns every change of the VU count: linear stages change it by
// one at evenly spaced times, so that the count is always within one VU of
// the straight line.
func (c RampingVUs) steps() []vuStep {
	steps := []vuStep{{0, c.StartVUs}}
	var at time.Duration
	from := c.StartVUs
	for _, st := range c.Stages {
		diff := st.Target - from
		switch {
		case diff == 0:
		case st.Duration == 0:
			steps = append(steps, vuStep{at, st.Target})
		default:
			n, sign := diff, 1
			if n < 0 {
				n, sign = -n, -1
			}
			for i := 1; i <= n; i++ {
				steps = append(steps, vuStep{at + st.Duration*time.Duration(i)/time.Duration(n), from + sign*i})
			}
		}
		at += st.Duration
		from = st.Target
	}
	return steps
}

type rampedVU struct {
	stopSoft, stopHard context.CancelFunc
}

// Run starts the iterations; the engine calls it.
func (c RampingVUs) Run(s *Schedule) { c.run(s.s) }

func (c RampingVUs) run(s *scenarioRun) {
	start := time.Now()
	rampDown := c.gracefulRampDown()
	var wg sync.WaitGroup
	var stack []rampedVU
	timer := time.NewTimer(0)
	<-timer.C
	defer timer.Stop()
steps:
	for _, st := range c.steps() {
		if wait := st.At - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-s.stop.Done():
				break steps
			case <-timer.C:
			}
		}
		if s.stop.Err() != nil {
			break
		}
		// A segment runs the VUs of the global indices it owns.
		vus := int(s.eng.part.Count(int64(st.VUs)))
		for len(stack) < vus {
			vu := s.getVU()
			soft, stopSoft := context.WithCancel(s.stop)
			hard, stopHard := context.WithCancel(s.hard)
			stack = append(stack, rampedVU{stopSoft, stopHard})
			wg.Go(func() {
				s.runVU(vu, soft, hard, nil)
				stopSoft()
				stopHard()
				s.putVU(vu)
			})
		}
		for len(stack) > vus {
			r := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			r.stopSoft()
			time.AfterFunc(rampDown, r.stopHard)
		}
	}
	<-s.stop.Done()
	wg.Wait()
}

func (c RampingVUs) progress(s *scenarioRun, elapsed time.Duration) (float64, string) {
	total := c.duration()
	return float64(elapsed) / float64(total),
		fmt.Sprintf("%04d/%04d VUs %s/%s", s.active.Load(), c.maxVUs(), cli.FormatClock(min(elapsed, total)), fmtDuration(total))
}
