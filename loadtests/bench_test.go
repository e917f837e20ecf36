package loadtests

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/report"
)

// BenchmarkRequests measures the engine's cost per request: 50 VUs share
// b.N iterations of one GET against a loopback server.
func BenchmarkRequests(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	plan := Plan{Name: "bench", Scenarios: []Scenario{{
		Name:     "get",
		Executor: SharedIterations{VUs: 50, Iterations: max(b.N, 50)},
		User:     Func("get", func(vu *VU) error { vu.Get("/"); return nil }),
	}}}
	b.ReportAllocs()
	b.ResetTimer()
	s, err := Run(context.Background(), plan, Options{Endpoint: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	if f := s.Total().Failed; f > 0 {
		b.Fatalf("%d requests failed: %+v", f, s.Errors)
	}
}

// discard takes every sample and keeps none: the cost of the Output path.
type discard struct{ n int }

func (d *discard) Start(RunInfo) error         { return nil }
func (d *discard) AddSamples(s []Sample)       { d.n += len(s) }
func (d *discard) Stop(*metrics.Summary) error { return nil }

// BenchmarkRequestsWithOutput is BenchmarkRequests with one output taking
// every sample.
func BenchmarkRequestsWithOutput(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	plan := Plan{Name: "bench", Scenarios: []Scenario{{
		Name:     "get",
		Executor: SharedIterations{VUs: 50, Iterations: max(b.N, 50)},
		User:     Func("get", func(vu *VU) error { vu.Get("/"); return nil }),
	}}}
	out := &discard{}
	b.ReportAllocs()
	b.ResetTimer()
	s, err := Run(context.Background(), plan, Options{Endpoint: srv.URL, Outputs: []Output{out}})
	if err != nil {
		b.Fatal(err)
	}
	if f := s.Total().Failed; f > 0 || int64(out.n)+s.Generator.DroppedSamples["*loadtests.discard"] != s.Total().Count {
		b.Fatalf("%d requests failed, %d samples of %d", f, out.n, s.Total().Count)
	}
}

// BenchmarkRequestsWithDashboard is BenchmarkRequests with the live
// dashboard serving one page that reads its events.
func BenchmarkRequestsWithDashboard(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	dash, err := report.NewDashboard("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	plan := Plan{Name: "bench", Scenarios: []Scenario{{
		Name:     "get",
		Executor: SharedIterations{VUs: 50, Iterations: max(b.N, 50)},
		User:     Func("get", func(vu *VU) error { vu.Get("/"); return nil }),
	}}}
	page, err := http.Get("http://" + dash.Addr() + "/events")
	if err != nil {
		b.Fatal(err)
	}
	defer page.Body.Close()
	go io.Copy(io.Discard, page.Body)
	b.ReportAllocs()
	b.ResetTimer()
	s, err := Run(context.Background(), plan, Options{Endpoint: srv.URL, Outputs: []Output{dash}})
	if err != nil {
		b.Fatal(err)
	}
	if f := s.Total().Failed; f > 0 {
		b.Fatalf("%d requests failed", f)
	}
}
