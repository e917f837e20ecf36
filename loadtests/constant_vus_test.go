package loadtests

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestConstantVUsKeepsNLooping(t *testing.T) {
	srv := newCountingServer(t)
	log := newStartLog()
	var running, peak atomic.Int64
	s := runPlan(t, srv.URL, Scenario{
		Executor: ConstantVUs{VUs: 5, Duration: 400 * time.Millisecond},
		User: Func("get", func(vu *VU) error {
			log.add(vu)
			n := running.Add(1)
			defer running.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			vu.Get("/")
			return vu.Sleep(10 * time.Millisecond)
		}),
	}, Options{})
	if got, want := log.distinctVUs(-1, time.Hour), 5; got != want {
		t.Errorf("VUs that ran: got %d, want %d", got, want)
	}
	if got := peak.Load(); got != 5 {
		t.Errorf("peak concurrent iterations: got %d, want 5", got)
	}
	// Each VU loops: far more iterations than VUs.
	if got := s.Iterations.Complete; got < 25 {
		t.Errorf("complete iterations: got %d, want at least 25", got)
	}
	if got, want := s.Total().Count, srv.requests.Load(); got != want {
		t.Errorf("requests recorded: got %d, server saw %d", got, want)
	}
}

func TestConstantVUsGracefulStop(t *testing.T) {
	cases := []struct {
		name                  string
		gracefulStop          time.Duration
		complete, interrupted int64
	}{
		// The 300ms iterations running at the end get 1s to finish: they do.
		{"iterations finish within the graceful stop", time.Second, 3, 0},
		// No graceful stop: the iterations running at the end are cut off.
		{"no graceful stop interrupts them", -1, 0, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCountingServer(t)
			s := runPlan(t, srv.URL, Scenario{
				Executor:     ConstantVUs{VUs: 3, Duration: 100 * time.Millisecond},
				GracefulStop: tc.gracefulStop,
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
