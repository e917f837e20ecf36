package loadtests

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

func TestRampingVUsFollowsItsStages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		exec := RampingVUs{
			StartVUs: 1,
			Stages: []Stage{
				{Duration: 1200 * time.Millisecond, Target: 6},
				{Duration: 400 * time.Millisecond, Target: 6},
				{Duration: 1200 * time.Millisecond, Target: 0},
			},
			GracefulRampDown: time.Second,
		}
		// Drive the scenario directly so that the test can watch its
		// active VUs on the fake clock.
		e := &engine{endpoint: noServer, timeScale: 1, requestTimeout: time.Minute, epoch: time.Now(), buffers: newBuffers()}
		e.rec = metrics.NewRecorder(1, e.epoch)
		s := &scenarioRun{eng: e, sc: Scenario{Name: "ramp", Executor: exec, GracefulStop: time.Second,
			User: Func("tick", func(vu *VU) error { return vu.Sleep(5 * time.Millisecond) })}}
		e.runs = []*scenarioRun{s}
		start := time.Now()
		done := make(chan struct{})
		go func() {
			s.run(context.Background())
			close(done)
		}()
		// 7ms after each step, a VU added is running and a VU removed has
		// finished its 5ms iteration: the count is the step's exactly.
		steps := exec.steps()
		peak := 0
		for _, st := range steps {
			time.Sleep(st.At + 7*time.Millisecond - time.Since(start))
			if got := int(s.active.Load()); got != st.VUs {
				t.Errorf("at %v: %d active VUs, want %d", time.Since(start), got, st.VUs)
			}
			peak = max(peak, st.VUs)
		}
		<-done
		if len(steps) != 12 || peak != 6 || s.allocated.Load() != 6 {
			t.Errorf("got %d steps up to %d VUs, %d VUs allocated; want 12 (1, 5 up, 6 down) up to 6, 6", len(steps), peak, s.allocated.Load())
		}
	})
}

func TestRampingVUsSteps(t *testing.T) {
	exec := RampingVUs{StartVUs: 0, Stages: []Stage{
		{Duration: time.Second, Target: 4},
		{Duration: 0, Target: 2},
		{Duration: time.Second, Target: 0},
	}}
	cases := []struct {
		at   time.Duration
		want int
	}{
		{0, 0},
		{249 * time.Millisecond, 0},
		{250 * time.Millisecond, 1},
		{999 * time.Millisecond, 3},
		{time.Second, 2}, // the instant stage drops to 2 at once
		{1499 * time.Millisecond, 2},
		{1500 * time.Millisecond, 1},
		{2 * time.Second, 0},
	}
	for _, tc := range cases {
		if got := exec.vusAt(tc.at); got != tc.want {
			t.Errorf("VUs at %v: got %d, want %d", tc.at, got, tc.want)
		}
	}
}

func TestRampingVUsGracefulRampDown(t *testing.T) {
	cases := []struct {
		name                  string
		rampDown, stop        time.Duration
		complete, interrupted int64
	}{
		// The two VUs removed by the ramp down finish their 300ms iteration.
		{"ramp down waits for the iteration", 2 * time.Second, 2 * time.Second, 2, 0},
		// They get 20ms: their iterations are interrupted.
		{"short ramp down interrupts", 20 * time.Millisecond, 20 * time.Millisecond, 0, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCountingServer(t)
			s := runPlan(t, srv.URL, Scenario{
				Executor: RampingVUs{
					StartVUs:         2,
					Stages:           []Stage{{Duration: 50 * time.Millisecond, Target: 0}},
					GracefulRampDown: tc.rampDown,
				},
				GracefulStop: tc.stop,
				User: Func("slow", func(vu *VU) error {
					return vu.Sleep(300 * time.Millisecond)
				}),
			}, Options{})
			if s.Iterations.Complete != tc.complete || s.Iterations.Interrupted != tc.interrupted {
				t.Errorf("complete/interrupted: got %d/%d, want %d/%d",
					s.Iterations.Complete, s.Iterations.Interrupted, tc.complete, tc.interrupted)
			}
		})
	}
}

// vusAt returns the planned number of VUs at elapsed, from the steps the
// executor follows.
func (c RampingVUs) vusAt(elapsed time.Duration) int {
	n := 0
	for _, s := range c.steps() {
		if s.At > elapsed {
			break
		}
		n = s.VUs
	}
	return n
}
