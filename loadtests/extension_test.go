package loadtests_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/output"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/report"
)

// The outputs this module ships are loadtests.Outputs.
var (
	_ loadtests.Output = (*report.ProgressOutput)(nil)
	_ loadtests.Output = report.TextOutput{}
	_ loadtests.Output = report.JSONOutput{}
	_ loadtests.Output = report.HTMLOutput{}
	_ loadtests.Output = (*output.JSONL)(nil)
	_ loadtests.Output = (*output.Prometheus)(nil)
)

// bursts is a load model a user's package could write: Bursts times, it
// starts Size iterations at once and waits for them to end.
type bursts struct {
	Bursts, Size int
}

func (bursts) Name() string { return "bursts" }

func (b bursts) Validate() error {
	if b.Bursts <= 0 || b.Size <= 0 {
		return errBadBursts
	}
	return nil
}

func (b bursts) MaxVUs() int { return b.Size }

func (b bursts) Run(s *loadtests.Schedule) {
	for range b.Bursts {
		for range b.Size {
			s.Start(b.Size)
		}
		s.Wait()
	}
}

var errBadBursts = errors.New("bursts and size must be positive")

// counter is a loopback server counting requests and the most it held at once.
func counter(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestUserExecutor(t *testing.T) {
	srv, served := counter(t)
	plan := loadtests.Plan{Name: "user executor", Scenarios: []loadtests.Scenario{{
		Name:     "bursts",
		Executor: bursts{Bursts: 3, Size: 4},
		User:     loadtests.Func("get", func(vu *loadtests.VU) error { vu.Get("/"); return nil }),
	}}}
	s, err := loadtests.Run(context.Background(), plan, loadtests.Options{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Iterations.Complete; got != 12 {
		t.Errorf("iterations: got %d, want 12 (3 bursts of 4)", got)
	}
	if got := served.Load(); got != 12 {
		t.Errorf("server saw %d requests, want 12", got)
	}
	if got := s.VUsMax; got != 4 {
		t.Errorf("VUs: got %d, want 4 (a burst reuses the VUs of the last)", got)
	}
	if sc := s.Scenarios[0]; sc.Executor != "bursts" || sc.MaxVUs != 4 {
		t.Errorf("scenario info: got %+v, want executor bursts with 4 VUs", sc)
	}

	plan.Scenarios[0].Executor = bursts{}
	if _, err := loadtests.Run(context.Background(), plan, loadtests.Options{Endpoint: srv.URL}); err == nil {
		t.Error("a user executor that refuses its setup: got no error")
	}
}

// recording is an output a user's package could write: it keeps what it
// is given.
type recording struct {
	mu       sync.Mutex
	started  int
	info     loadtests.RunInfo
	samples  []loadtests.Sample
	progress int
	done     bool
	stopped  *metrics.Summary
}

func (r *recording) Start(info loadtests.RunInfo) error {
	r.started++
	r.info = info
	return nil
}

func (r *recording) AddSamples(s []loadtests.Sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s...)
	r.mu.Unlock()
}

func (r *recording) Progress(p loadtests.Progress) {
	r.mu.Lock()
	r.progress++
	r.done = r.done || p.Done
	r.mu.Unlock()
}

func (r *recording) Stop(s *metrics.Summary) error {
	r.stopped = s
	return nil
}

func TestUserOutput(t *testing.T) {
	srv, served := counter(t)
	rec := &recording{}
	plan := loadtests.Plan{Name: "user output", Scenarios: []loadtests.Scenario{{
		Name:     "get",
		Executor: loadtests.SharedIterations{VUs: 3, Iterations: 30},
		User: loadtests.Func("get", func(vu *loadtests.VU) error {
			vu.Get("/", loadtests.Name("GET /"))
			return nil
		}),
	}}}
	s, err := loadtests.Run(context.Background(), plan, loadtests.Options{Endpoint: srv.URL, Outputs: []loadtests.Output{rec}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.started != 1 || rec.info.Plan != "user output" || len(rec.info.Scenarios) != 1 {
		t.Errorf("start: called %d times with %+v, want once with the plan", rec.started, rec.info)
	}
	if got := len(rec.samples); got != 30 || served.Load() != 30 {
		t.Fatalf("samples: got %d, want 30 (server saw %d)", got, served.Load())
	}
	vus := map[int]bool{}
	for _, smp := range rec.samples {
		if smp.Name != "GET /" || smp.Scenario != "get" || smp.Status != 200 || smp.RequestID == "" {
			t.Fatalf("sample: got %+v, want GET / of scenario get, 200, with a request id", smp)
		}
		vus[smp.VU] = true
	}
	if len(vus) == 0 || len(vus) > 3 {
		t.Errorf("samples came from %d VUs, want 1 to 3", len(vus))
	}
	if !rec.done || rec.progress == 0 {
		t.Errorf("progress: %d calls, done %v; want the last one done", rec.progress, rec.done)
	}
	if rec.stopped != s {
		t.Error("stop: not given the run's summary")
	}
	if d := s.Generator.DroppedSamples; len(d) != 0 {
		t.Errorf("dropped samples: got %v, want none", d)
	}
}

// slowOutput blocks in AddSamples until released: the VUs must not wait
// for it, and what its buffer cannot hold is counted as dropped.
type slowOutput struct {
	recording
	release chan struct{}
}

func (o *slowOutput) AddSamples(s []loadtests.Sample) {
	<-o.release
	o.recording.AddSamples(s)
}

func TestOutputThatFallsBehindDropsSamples(t *testing.T) {
	srv, _ := counter(t)
	slow := &slowOutput{release: make(chan struct{})}
	n := loadtests.OutputBuffer + 500
	plan := loadtests.Plan{Name: "slow output", Scenarios: []loadtests.Scenario{{
		Name:     "get",
		Executor: loadtests.SharedIterations{VUs: 4, Iterations: 1},
		// One iteration issues n requests, then lets the output go: had
		// the VU waited for the output it would never get there.
		User: loadtests.Func("get", func(vu *loadtests.VU) error {
			for range n {
				vu.Get("/")
			}
			close(slow.release)
			return nil
		}),
	}}}
	s, err := loadtests.Run(context.Background(), plan, loadtests.Options{Endpoint: srv.URL, Outputs: []loadtests.Output{slow}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Total().Count; got != int64(n) {
		t.Fatalf("requests: got %d, want %d", got, n)
	}
	dropped := s.Generator.DroppedSamples["*loadtests_test.slowOutput"]
	if dropped == 0 || int64(len(slow.samples))+dropped != int64(n) {
		t.Errorf("got %d samples and %d dropped, want them to add up to %d with some dropped", len(slow.samples), dropped, n)
	}
}
