package loadtests

import (
	"math"
	"testing"
	"time"
)

func TestRampingArrivalRateFollowsItsRate(t *testing.T) {
	srv := newCountingServer(t)
	log := newStartLog()
	// From 0 to 400 per second over one second: 200 iterations, a quarter of
	// them in the first half second and three quarters in the second.
	exec := RampingArrivalRate{StartRate: 0, Stages: []Stage{{Duration: time.Second, Target: 400}}, PreAllocatedVUs: 5, MaxVUs: 250}
	s := runPlan(t, srv.URL, Scenario{
		Executor: exec,
		User: Func("get", func(vu *VU) error {
			log.add(vu)
			vu.Get("/")
			return nil
		}),
	}, Options{})
	// With more VUs than iterations, none can be dropped: every one due
	// starts.
	started := s.Iterations.Complete + s.Iterations.Interrupted
	if started < 198 || started > 202 || s.Iterations.Dropped != 0 {
		t.Errorf("iterations started: got %d (%d dropped), want 200 within 1%% (none dropped)", started, s.Iterations.Dropped)
	}
	first := len(log.starts) - countAfter(log, 500*time.Millisecond)
	if first < 35 || first > 65 {
		t.Errorf("iterations started in the first half: got %d, want about 50", first)
	}
}

func TestRampingArrivalRateDue(t *testing.T) {
	exec := RampingArrivalRate{StartRate: 10, TimeUnit: time.Second, Stages: []Stage{
		{Duration: 10 * time.Second, Target: 10}, // 100 at a constant 10/s
		{Duration: 10 * time.Second, Target: 30}, // +200 ramping 10 -> 30
		{Duration: 0, Target: 0},                 // instant drop
		{Duration: 5 * time.Second, Target: 0},   // nothing
	}}
	cases := []struct {
		at   time.Duration
		want float64
	}{
		{0, 0},
		{5 * time.Second, 50},
		{10 * time.Second, 100},
		{15 * time.Second, 100 + 5*10 + 5*5*2/2.0}, // 10/s plus a slope of 2/s²
		{20 * time.Second, 300},
		{25 * time.Second, 300},
	}
	for _, tc := range cases {
		if got := exec.due(tc.at); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("due at %v: got %v, want %v", tc.at, got, tc.want)
		}
	}
}
