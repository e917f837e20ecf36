package loadtests

import (
	"testing"
	"time"
)

func TestRampingVUsFollowsItsStages(t *testing.T) {
	srv := newCountingServer(t)
	exec := RampingVUs{
		StartVUs: 1,
		Stages: []Stage{
			{Duration: 800 * time.Millisecond, Target: 8},
			{Duration: 400 * time.Millisecond, Target: 8},
			{Duration: 800 * time.Millisecond, Target: 0},
		},
		GracefulRampDown: time.Second,
	}
	log := newStartLog()
	runPlan(t, srv.URL, Scenario{
		Executor: exec,
		User: Func("get", func(vu *VU) error {
			log.add(vu)
			vu.Get("/")
			return vu.Sleep(5 * time.Millisecond)
		}),
	}, Options{})

	// In every 60ms window, the VUs seen starting iterations must be within
	// one VU of what the stages plan for that window (with 20ms of slack for
	// scheduling on a busy machine).
	const window, slack = 60 * time.Millisecond, 20 * time.Millisecond
	for at := window; at < exec.duration()-window; at += 20 * time.Millisecond {
		lo, hi := 1<<30, 0
		for t := at - window - slack; t <= at+slack; t += time.Millisecond {
			n := exec.vusAt(max(t, 0))
			lo, hi = min(lo, n), max(hi, n)
		}
		if got := log.distinctVUs(at-window, at); got < lo-1 || got > hi+1 {
			t.Errorf("at %v: %d VUs iterating, want %d to %d (within one VU)", at, got, lo, hi)
		}
	}
	if got, want := log.distinctVUs(-1, time.Hour), 8; got < want {
		t.Errorf("VUs used: got %d, want at least %d", got, want)
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
