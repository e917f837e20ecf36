package loadtests

import (
	"testing"
)

func TestPerVUIterationsRunsNOnEachVU(t *testing.T) {
	srv := newCountingServer(t)
	log := newStartLog()
	s := runPlan(t, srv.URL, Scenario{
		Executor: PerVUIterations{VUs: 4, Iterations: 6},
		User: Func("get", func(vu *VU) error {
			log.add(vu)
			vu.Get("/")
			return nil
		}),
	}, Options{})
	perVU := map[int]int{}
	for _, st := range log.starts {
		perVU[st.vu]++
	}
	if got, want := len(perVU), 4; got != want {
		t.Fatalf("VUs that ran: got %d, want %d", got, want)
	}
	for id, n := range perVU {
		if n != 6 {
			t.Errorf("VU %d ran %d iterations, want 6", id, n)
		}
	}
	if got, want := s.Iterations.Complete, int64(24); got != want {
		t.Errorf("complete iterations: got %d, want %d", got, want)
	}
	if got, want := srv.requests.Load(), int64(24); got != want {
		t.Errorf("server saw %d requests, want %d", got, want)
	}
}
