package loadtests

import (
	"fmt"
	"sync"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// ConstantVUs runs VUs looping over iterations for Duration, as k6's
// constant-vus.
type ConstantVUs struct {
	VUs      int
	Duration time.Duration
}

// Name returns "constant-vus".
func (ConstantVUs) Name() string { return "constant-vus" }

func (c ConstantVUs) describe(gs time.Duration) string {
	return fmt.Sprintf("%d looping VUs for %s (%s)", c.VUs, fmtDuration(c.Duration), gracefulNote(gs))
}

func (c ConstantVUs) maxVUs() int             { return c.VUs }
func (c ConstantVUs) duration() time.Duration { return c.Duration }

func (c ConstantVUs) validate() error {
	if c.VUs <= 0 {
		return fmt.Errorf("VUs must be positive, got %d", c.VUs)
	}
	if c.Duration <= 0 {
		return fmt.Errorf("duration must be positive, got %v", c.Duration)
	}
	return nil
}

func (c ConstantVUs) scaled(t, v float64) Executor {
	c.VUs = scaleCount(c.VUs, v)
	c.Duration = scaleDuration(c.Duration, t)
	return c
}

// Run starts the iterations; the engine calls it.
func (c ConstantVUs) Run(s *Schedule) { c.run(s.s) }

func (c ConstantVUs) run(s *scenarioRun) {
	var wg sync.WaitGroup
	for range s.eng.part.Count(int64(c.VUs)) {
		vu := s.getVU()
		wg.Go(func() { s.runVU(vu, s.stop, s.hard, nil) })
	}
	wg.Wait()
}

func (c ConstantVUs) progress(s *scenarioRun, elapsed time.Duration) (float64, string) {
	return float64(elapsed) / float64(c.Duration),
		fmt.Sprintf("%d VUs %s/%s", c.VUs, cli.FormatClock(min(elapsed, c.Duration)), fmtDuration(c.Duration))
}
