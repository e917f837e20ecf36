package loadtests

import (
	"context"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

func TestRampingVUsFollowsItsStages(t *testing.T) {
	srv := newCountingServer(t)
	exec := RampingVUs{
		StartVUs: 1,
		Stages: []Stage{
			{Duration: 1200 * time.Millisecond, Target: 6},
			{Duration: 400 * time.Millisecond, Target: 6},
			{Duration: 1200 * time.Millisecond, Target: 0},
		},
		GracefulRampDown: time.Second,
	}
	// Drive the scenario directly so that the test can watch its active
	// VUs on the scenario's own clock.
	e := &engine{endpoint: srv.URL, timeScale: 1, requestTimeout: time.Minute, epoch: time.Now(), buffers: newBuffers()}
	e.rec = metrics.NewRecorder(1, e.epoch)
	s := &scenarioRun{eng: e, sc: Scenario{Name: "ramp", Executor: exec, GracefulStop: time.Second,
		User: Func("get", func(vu *VU) error {
			vu.Get("/")
			return vu.Sleep(5 * time.Millisecond)
		})}}
	e.runs = []*scenarioRun{s}
	done := make(chan struct{})
	go func() {
		s.run(context.Background())
		close(done)
	}()

	type sample struct {
		at     time.Duration
		active int
	}
	var samples []sample
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case now := <-tick.C:
			if s.startedAt.Load() > 0 {
				samples = append(samples, sample{s.elapsed(now), int(s.active.Load())})
			}
		}
	}

	// Each sample must be within one VU of the plan at a moment of the last
	// 60ms (the controller and the sampler may both run late on a busy
	// machine, and a VU leaving finishes its 5ms iteration first).
	const slack = 60 * time.Millisecond
	bad := 0
	for _, smp := range samples {
		if smp.at > exec.duration() {
			break
		}
		lo, hi := 1<<30, 0
		for at := smp.at - slack; at <= smp.at+5*time.Millisecond; at += time.Millisecond {
			n := exec.vusAt(max(at, 0))
			lo, hi = min(lo, n), max(hi, n)
		}
		if smp.active < lo-1 || smp.active > hi+1 {
			bad++
			t.Errorf("at %v: %d active VUs, want %d to %d (within one VU)", smp.at, smp.active, lo, hi)
		}
	}
	if len(samples) < 100 {
		t.Errorf("samples: got %d, want at least 100", len(samples))
	}
	var peak int
	for _, smp := range samples {
		peak = max(peak, smp.active)
	}
	if peak != 6 {
		t.Errorf("peak active VUs: got %d, want 6", peak)
	}
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
