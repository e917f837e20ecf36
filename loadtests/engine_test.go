package loadtests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		first := map[string]time.Duration{}
		count := map[string]int{}
		user := func(name string) User {
			return Func(name, func(vu *VU) error {
				mu.Lock()
				if _, ok := first[vu.Scenario]; !ok {
					first[vu.Scenario] = time.Since(start)
				}
				count[vu.Scenario]++
				mu.Unlock()
				return vu.Sleep(7 * time.Millisecond)
			})
		}
		s, err := Run(context.Background(), Plan{Name: "two", Scenarios: []Scenario{
			{Name: "early", Executor: ConstantVUs{VUs: 2, Duration: 600 * time.Millisecond}, User: user("early")},
			{Name: "late", Executor: SharedIterations{VUs: 3, Iterations: 9}, StartTime: 300 * time.Millisecond, User: user("late")},
		}}, Options{Endpoint: noServer})
		if err != nil {
			t.Fatal(err)
		}
		// Offsets count from the run's start, not from the other
		// scenario's first iteration.
		if first["early"] != 0 || first["late"] != 300*time.Millisecond {
			t.Errorf("first iterations: early at %v, late at %v; want 0 and 300ms", first["early"], first["late"])
		}
		// early: 2 VUs starting at 0, 7ms, ... 595ms; late: its 9.
		if count["early"] != 172 || count["late"] != 9 {
			t.Errorf("iterations: early %d, late %d; want 172 and 9", count["early"], count["late"])
		}
		if len(s.Scenarios) != 2 || s.VUsMax != 5 {
			t.Errorf("scenarios %d, VUs allocated %d; want 2 and 5", len(s.Scenarios), s.VUsMax)
		}
	})
}
