package loadtests

import (
	"testing"
	"testing/synctest"
	"time"
)

// noServer is an endpoint the synctest tests never contact: their users
// only sleep, so that the fake clock decides every start exactly.
const noServer = "http://127.0.0.1:1"

func TestConstantArrivalRateStartsRateTimesDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := newStartLog()
		exec := ConstantArrivalRate{Rate: 400, TimeUnit: time.Second, Duration: 1500 * time.Millisecond, PreAllocatedVUs: 5, MaxVUs: 700}
		s := runPlan(t, noServer, Scenario{
			Executor: exec,
			User:     Func("tick", func(vu *VU) error { log.add(vu); return vu.Sleep(time.Millisecond) }),
		}, Options{})
		// 400/s × 1.5 s, one every 2.5ms from 0.
		if got := s.Iterations.Complete; got != 600 || s.Iterations.Interrupted != 0 {
			t.Errorf("iterations: got %d complete, %d interrupted; want 600 and 0", got, s.Iterations.Interrupted)
		}
		if got := s.Iterations.Dropped; got != 0 {
			t.Errorf("dropped: got %d, want 0 (more VUs than iterations)", got)
		}
		// The open model spreads starts over the whole duration: by 751ms,
		// those due at 0, 2.5ms, ... 750ms started.
		if first := len(log.starts) - countAfter(log, 751*time.Millisecond); first != 301 {
			t.Errorf("iterations started by 751ms: got %d, want 301", first)
		}
		// A VU sleeps 1ms of every 2.5ms: one VU does it all.
		if s.VUsMax != 5 {
			t.Errorf("VUs: got %d, want the 5 preallocated", s.VUsMax)
		}
	})
}

func TestConstantArrivalRateCountsDroppedIterations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 100 iterations due in one second, one every 10ms, each holding
		// its VU for 205ms, and at most 4 VUs: each VU starts at its
		// offset (0 to 30ms) and every 210ms after, 5 times before the
		// second is up; the other 80 are dropped.
		s := runPlan(t, noServer, Scenario{
			Executor: ConstantArrivalRate{Rate: 100, Duration: time.Second, PreAllocatedVUs: 2, MaxVUs: 4},
			User:     Func("slow", func(vu *VU) error { return vu.Sleep(205 * time.Millisecond) }),
		}, Options{})
		if got := s.Iterations.Complete; got != 20 || s.Iterations.Interrupted != 0 {
			t.Errorf("iterations: got %d complete, %d interrupted; want 20 and 0", got, s.Iterations.Interrupted)
		}
		if got := s.Iterations.Dropped; got != 80 {
			t.Errorf("dropped: got %d, want 80", got)
		}
		if got, want := s.VUsMax, int64(4); got != want {
			t.Errorf("VUs allocated: got %d, want %d (MaxVUs)", got, want)
		}
		var perSecond int64
		for _, p := range s.Series {
			perSecond += p.Dropped
		}
		if perSecond != s.Iterations.Dropped {
			t.Errorf("dropped in the time series: got %d, want %d", perSecond, s.Iterations.Dropped)
		}
		if g := s.Generator; g.LateIterations != 0 || g.Saturated {
			t.Errorf("generator on a fake clock: got %+v, want no late iteration", g)
		}
	})
}

func countAfter(l *startLog, at time.Duration) int {
	n := 0
	for _, s := range l.starts {
		if s.at > at {
			n++
		}
	}
	return n
}
