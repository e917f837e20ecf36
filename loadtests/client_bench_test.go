package loadtests

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkClients compares the lean client with net/http's on the setup of
// BenchmarkRequests: 50 VUs share b.N iterations of one GET on loopback.
func BenchmarkClients(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	for _, kind := range []string{ClientLean, ClientStd} {
		b.Run(kind, func(b *testing.B) {
			plan := Plan{Name: "bench", Scenarios: []Scenario{{
				Name:     "get",
				Executor: SharedIterations{VUs: 50, Iterations: max(b.N, 50)},
				User:     Func("get", func(vu *VU) error { vu.Get("/"); return nil }),
			}}}
			b.ReportAllocs()
			b.ResetTimer()
			s, err := Run(context.Background(), plan, Options{Endpoint: srv.URL, HTTPClient: kind})
			if err != nil {
				b.Fatal(err)
			}
			if f := s.Total().Failed; f > 0 {
				b.Fatalf("%d requests failed: %+v", f, s.Errors)
			}
		})
	}
}
