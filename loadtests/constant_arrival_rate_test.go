package loadtests

import (
	"testing"
	"time"
)

func TestConstantArrivalRateStartsRateTimesDuration(t *testing.T) {
	srv := newCountingServer(t)
	log := newStartLog()
	exec := ConstantArrivalRate{Rate: 400, TimeUnit: time.Second, Duration: 1500 * time.Millisecond, PreAllocatedVUs: 5, MaxVUs: 700}
	s := runPlan(t, srv.URL, Scenario{
		Executor: exec,
		User: Func("get", func(vu *VU) error {
			log.add(vu)
			vu.Get("/")
			return nil
		}),
	}, Options{})
	want := int64(600) // 400/s × 1.5 s
	started := s.Iterations.Complete + s.Iterations.Interrupted
	if diff := started - want; diff < -want/100 || diff > want/100 {
		t.Errorf("iterations started: got %d, want %d within 1%%", started, want)
	}
	if got := s.Iterations.Dropped; got != 0 {
		t.Errorf("dropped: got %d, want 0 (more VUs than iterations)", got)
	}
	// The open model spreads starts over the whole duration: each half holds
	// about half of them.
	first := len(log.starts) - countAfter(log, 750*time.Millisecond)
	if first < 240 || first > 360 {
		t.Errorf("iterations started in the first half: got %d, want about 300", first)
	}
}

func TestConstantArrivalRateCountsDroppedIterations(t *testing.T) {
	srv := newCountingServer(t)
	// 100 iterations due in one second, each holding its VU for 200ms, and
	// at most 4 VUs: about 4 × 5 = 20 can start, the rest are dropped.
	s := runPlan(t, srv.URL, Scenario{
		Executor: ConstantArrivalRate{Rate: 100, Duration: time.Second, PreAllocatedVUs: 2, MaxVUs: 4},
		User: Func("slow", func(vu *VU) error {
			vu.Get("/")
			return vu.Sleep(200 * time.Millisecond)
		}),
	}, Options{})
	started := s.Iterations.Complete + s.Iterations.Interrupted
	if got, want := started+s.Iterations.Dropped, int64(100); got != want {
		t.Errorf("started + dropped: got %d, want %d", got, want)
	}
	if got := s.Iterations.Dropped; got < 60 {
		t.Errorf("dropped: got %d, want at least 60", got)
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
