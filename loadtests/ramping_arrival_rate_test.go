package loadtests

import (
	"math"
	"testing"
	"testing/synctest"
	"time"
)

func TestRampingArrivalRateFollowsItsRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := newStartLog()
		// From 0 to 400 per second over one second: 200 iterations, due
		// by t when 200·t² >= i; by 501ms, those numbered 0 to 50.
		exec := RampingArrivalRate{StartRate: 0, Stages: []Stage{{Duration: time.Second, Target: 400}}, PreAllocatedVUs: 5, MaxVUs: 250}
		s := runPlan(t, noServer, Scenario{
			Executor: exec,
			User:     Func("tick", func(vu *VU) error { log.add(vu); return nil }),
		}, Options{})
		if got := s.Iterations.Complete; got != 200 || s.Iterations.Dropped != 0 {
			t.Errorf("iterations: got %d (%d dropped), want 200 (none dropped)", got, s.Iterations.Dropped)
		}
		if first := len(log.starts) - countAfter(log, 501*time.Millisecond); first != 51 {
			t.Errorf("iterations started by 501ms: got %d, want 51", first)
		}
	})
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
