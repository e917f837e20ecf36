package loadtests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// countingServer is a loopback server that answers 200 and counts requests.
type countingServer struct {
	*httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	ids      map[string]int
}

func newCountingServer(t *testing.T) *countingServer {
	t.Helper()
	cs := &countingServer{ids: map[string]int{}}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.requests.Add(1)
		cs.mu.Lock()
		cs.ids[r.Header.Get(RequestIDHeader)]++
		cs.mu.Unlock()
		w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(cs.Close)
	return cs
}

// runPlan runs a one-scenario plan against url and fails the test when the
// run cannot start.
func runPlan(t *testing.T, url string, sc Scenario, opts Options) *metrics.Summary {
	t.Helper()
	if sc.Name == "" {
		sc.Name = "test"
	}
	opts.Endpoint = url
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Run(ctx, Plan{Name: t.Name(), Scenarios: []Scenario{sc}}, opts)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return s
}

// startLog records when iterations start and on which VU.
type startLog struct {
	mu     sync.Mutex
	start  time.Time
	starts []iterationStart
}

type iterationStart struct {
	at time.Duration
	vu int
}

func newStartLog() *startLog { return &startLog{start: time.Now()} }

func (l *startLog) add(vu *VU) {
	l.mu.Lock()
	l.starts = append(l.starts, iterationStart{time.Since(l.start), vu.ID})
	l.mu.Unlock()
}

// distinctVUs returns how many VUs started an iteration in (from, to].
func (l *startLog) distinctVUs(from, to time.Duration) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[int]bool{}
	for _, s := range l.starts {
		if s.at > from && s.at <= to {
			seen[s.vu] = true
		}
	}
	return len(seen)
}

func TestScenariosRunSideBySideWithTheirOwnStart(t *testing.T) {
	srv := newCountingServer(t)
	log := newStartLog()
	var mu sync.Mutex
	first := map[string]time.Duration{}
	user := func(name string) User {
		return Func(name, func(vu *VU) error {
			mu.Lock()
			if _, ok := first[vu.Scenario]; !ok {
				first[vu.Scenario] = time.Since(log.start)
			}
			mu.Unlock()
			vu.Get("/" + vu.Scenario)
			return vu.Sleep(10 * time.Millisecond)
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Run(ctx, Plan{Name: "two", Scenarios: []Scenario{
		{Name: "early", Executor: ConstantVUs{VUs: 2, Duration: 600 * time.Millisecond}, User: user("early")},
		{Name: "late", Executor: SharedIterations{VUs: 3, Iterations: 9}, StartTime: 300 * time.Millisecond, User: user("late")},
	}}, Options{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	// Offsets count from the run's start (log.start is taken just before
	// it), not from the other scenario's first iteration, which itself
	// begins a moment after the run does: the start time is a lower bound
	// the engine guarantees.
	if got := first["late"]; got < 300*time.Millisecond {
		t.Errorf("the late scenario began %v into the run, want no sooner than its 300ms start time", got)
	}
	// The early one starts at once: before the late one, whatever the
	// machine's speed (no upper bound on a wall clock).
	if first["early"] >= first["late"] {
		t.Errorf("the early scenario began %v into the run, the late one %v: want the early one first", first["early"], first["late"])
	}
	if got := s.Requests["GET /late"].Count; got != 9 {
		t.Errorf("late requests: got %d, want 9", got)
	}
	if s.Requests["GET /early"].Count < 10 {
		t.Errorf("early requests: got %d, want the early scenario looping", s.Requests["GET /early"].Count)
	}
	if len(s.Scenarios) != 2 || s.VUsMax != 5 {
		t.Errorf("scenarios %d, VUs allocated %d; want 2 and 5", len(s.Scenarios), s.VUsMax)
	}
}
