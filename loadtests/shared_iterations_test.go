package loadtests

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestSharedIterationsRunsExactlyN(t *testing.T) {
	cases := []struct {
		name       string
		vus, iters int
	}{
		{"more iterations than VUs", 7, 137},
		{"one VU does all", 1, 25},
		{"more VUs than iterations", 20, 5}, // only 5 VUs are needed
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newCountingServer(t)
			s := runPlan(t, srv.URL, Scenario{
				Executor: SharedIterations{VUs: tc.vus, Iterations: tc.iters},
				User: Func("get", func(vu *VU) error {
					vu.Check("is status 200", vu.Get("/").Status == 200)
					return nil
				}),
			}, Options{})
			if got, want := srv.requests.Load(), int64(tc.iters); got != want {
				t.Errorf("server saw %d requests, want %d", got, want)
			}
			if got, want := s.Iterations.Complete, int64(tc.iters); got != want {
				t.Errorf("complete iterations: got %d, want %d", got, want)
			}
			if got := s.Iterations.Interrupted; got != 0 {
				t.Errorf("interrupted iterations: got %d, want 0", got)
			}
			if got, want := s.VUsMax, int64(min(tc.vus, tc.iters)); got != want {
				t.Errorf("VUs allocated: got %d, want %d", got, want)
			}
			if got, want := s.Checks["is status 200"].Pass, int64(tc.iters); got != want {
				t.Errorf("checks passed: got %d, want %d", got, want)
			}
		})
	}
}

func TestSharedIterationsStopsAtMaxDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 3 VUs, iterations of 100ms, 1000 of them: MaxDuration (250ms)
		// ends the scenario long before. Each VU completed those started
		// at 0 and 100ms; with no graceful stop, the three started at
		// 200ms are interrupted.
		s := runPlan(t, noServer, Scenario{
			Executor:     SharedIterations{VUs: 3, Iterations: 1000, MaxDuration: 250 * time.Millisecond},
			GracefulStop: -1,
			User:         Func("slow", func(vu *VU) error { return vu.Sleep(100 * time.Millisecond) }),
		}, Options{})
		if got := s.Iterations.Complete; got != 6 {
			t.Errorf("complete iterations: got %d, want 6", got)
		}
		if got, want := s.Iterations.Interrupted, int64(3); got != want {
			t.Errorf("interrupted iterations: got %d, want %d", got, want)
		}
	})
}
