package loadtests

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestConstantVUsKeepsNLooping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := newStartLog()
		var running, peak atomic.Int64
		s := runPlan(t, noServer, Scenario{
			Executor: ConstantVUs{VUs: 5, Duration: 400 * time.Millisecond},
			User: Func("loop", func(vu *VU) error {
				log.add(vu)
				n := running.Add(1)
				defer running.Add(-1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				return vu.Sleep(30 * time.Millisecond)
			}),
		}, Options{})
		if got, want := log.distinctVUs(-1, time.Hour), 5; got != want {
			t.Errorf("VUs that ran: got %d, want %d", got, want)
		}
		if got := peak.Load(); got != 5 {
			t.Errorf("peak concurrent iterations: got %d, want 5", got)
		}
		// Each VU loops, starting at 0, 30ms, ... 390ms: 14 iterations.
		if got := s.Iterations.Complete; got != 70 || s.Iterations.Interrupted != 0 {
			t.Errorf("iterations: got %d complete, %d interrupted; want 70 and 0", got, s.Iterations.Interrupted)
		}
	})
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
			synctest.Test(t, func(t *testing.T) {
				s := runPlan(t, noServer, Scenario{
					Executor:     ConstantVUs{VUs: 3, Duration: 100 * time.Millisecond},
					GracefulStop: tc.gracefulStop,
					User:         Func("slow", func(vu *VU) error { return vu.Sleep(300 * time.Millisecond) }),
				}, Options{})
				if s.Iterations.Complete != tc.complete || s.Iterations.Interrupted != tc.interrupted {
					t.Errorf("complete/interrupted: got %d/%d, want %d/%d",
						s.Iterations.Complete, s.Iterations.Interrupted, tc.complete, tc.interrupted)
				}
			})
		})
	}
}
