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
