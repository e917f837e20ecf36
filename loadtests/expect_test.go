package loadtests

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// todoServer answers POST with 201 and everything else with 404, as the API
// does for a todo that is not there.
func todoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"id":1}`))
			return
		}
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"not found"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// checkAndExpectPlan runs 2 VUs × 5 iterations: a POST checked for 200 (it
// gets 201), on even iterations a DELETE checked for 200 (it gets 404), and
// a GET that expects its 404.
func checkAndExpectPlan(t *testing.T) *metrics.Summary {
	t.Helper()
	srv := todoServer(t)
	return runPlan(t, srv.URL, Scenario{
		Executor: PerVUIterations{VUs: 2, Iterations: 5},
		User: Func("planner", func(vu *VU) error {
			r := vu.Post("/api/v1/todos", `{"title":"x"}`)
			vu.Check("is status 200", r.Status == 200)
			if vu.Iteration%2 == 0 {
				r = vu.Delete("/api/v1/todos/undefined", Name("DELETE /api/v1/todos/{id}"))
				vu.Check("is status 200", r.Status == 200)
			}
			r = vu.Get("/api/v1/todos/0", Name("GET /api/v1/todos/{id}"), Expect(http.StatusNotFound))
			vu.Check("gone", r.Status == http.StatusNotFound)
			vu.CheckValue("no todos left behind", false, "3 left")
			return nil
		}),
	}, Options{})
}

func TestExpectedStatusesAreNotFailures(t *testing.T) {
	s := checkAndExpectPlan(t)
	tests := []struct {
		name       string
		count      int64
		wantFailed int64
	}{
		{"POST /api/v1/todos", 10, 0},       // 201 is within 200-399
		{"DELETE /api/v1/todos/{id}", 6, 6}, // 404 not expected
		{"GET /api/v1/todos/{id}", 10, 0},   // 404 declared with Expect
	}
	for _, tt := range tests {
		r := s.Requests[tt.name]
		if r == nil || r.Count != tt.count || r.Failed != tt.wantFailed {
			t.Errorf("%s: got %+v, want %d requests, %d failed", tt.name, r, tt.count, tt.wantFailed)
		}
	}
}

func TestFailedChecksSayWhatWasSeen(t *testing.T) {
	s := checkAndExpectPlan(t)
	want := []metrics.CheckFailure{
		{Request: "POST /api/v1/todos", Seen: "201", Count: 10},
		{Request: "DELETE /api/v1/todos/{id}", Seen: "404", Count: 6},
	}
	if c := s.Checks["is status 200"]; c == nil || c.Fail != 16 || !slices.Equal(c.Failures, want) {
		t.Errorf("is status 200: got %+v, want 16 failures %v", c, want)
	}
	if c := s.Checks["no todos left behind"]; c == nil || !slices.Equal(c.Failures, []metrics.CheckFailure{{Seen: "3 left", Count: 10}}) {
		t.Errorf("no todos left behind: got %+v, want saw 3 left ×10", c)
	}

	// summary.json keeps them, and a merge of two runs adds them up.
	var b bytes.Buffer
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	read, err := metrics.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metrics.Merge(read, s)
	if err != nil {
		t.Fatal(err)
	}
	want[0].Count, want[1].Count = 20, 12
	if got := m.Checks["is status 200"].Failures; !slices.Equal(got, want) {
		t.Errorf("merged: got %v, want %v", got, want)
	}
}

// A check's failures keep a bounded number of distinct entries.
func TestCheckFailuresAreBounded(t *testing.T) {
	rec := metrics.NewRecorder(1, time.Unix(0, 0))
	sh := rec.Shard(0)
	for i := range 1000 {
		sh.CheckSeen("is status 200", false, "GET /x", string(rune('a'+i%500)))
	}
	s := rec.Summary(time.Unix(1, 0))
	c := s.Checks["is status 200"]
	var n int64
	for _, f := range c.Failures {
		n += f.Count
	}
	if len(c.Failures) != metrics.MaxCheckFailures || n != 1000 {
		t.Errorf("got %d entries counting %d, want %d entries counting 1000", len(c.Failures), n, metrics.MaxCheckFailures)
	}
	if last := c.Failures[0]; last.Request != metrics.OtherName {
		t.Errorf("the most frequent entry: got %v, want the others folded into %q", last, metrics.OtherName)
	}
}

// Cancelling a run says at once how long the stop may wait and for how many
// running iterations, then counts down to the end of the graceful stop.
func TestStopSaysWhatItWaitsFor(t *testing.T) {
	srv := todoServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var stopping []Progress
	started := make(chan struct{}, 2)
	plan := Plan{Name: "stop", Scenarios: []Scenario{{
		Name:         "sleepers",
		Executor:     ConstantVUs{VUs: 2, Duration: time.Hour},
		GracefulStop: 300 * time.Millisecond,
		User: Func("sleeper", func(vu *VU) error {
			vu.Get("/")
			started <- struct{}{}
			return vu.Sleep(time.Hour)
		}),
	}}}
	go func() {
		<-started
		<-started
		cancel()
	}()
	s, err := Run(ctx, plan, Options{Endpoint: srv.URL, OnTick: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Stopping {
			stopping = append(stopping, p)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(stopping) == 0 {
		t.Fatal("no progress said the run was stopping")
	}
	if first := stopping[0]; first.VUs != 2 || first.StopLeft != 300*time.Millisecond {
		t.Errorf("first stopping progress: got %d running, %v left; want 2 running, 300ms left", first.VUs, first.StopLeft)
	}
	if s.Iterations.Interrupted != 2 {
		t.Errorf("interrupted iterations: got %d, want 2", s.Iterations.Interrupted)
	}
}
