package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/middleware"
)

// The cost of the middleware chain per request (request id, JSON request
// log at info, recover, in-flight limit, metrics), around a handler that
// writes a small body, against the bare handler.
func BenchmarkMiddlewareChain(b *testing.B) {
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	log := logging.New(io.Discard, "json", slog.LevelInfo, false)
	reg := prometheus.NewRegistry()
	metrics := middleware.NewMetrics(reg)
	writeError := func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(500) }
	chained := middleware.RequestID(middleware.Log(log)(middleware.Recover(log, writeError)(
		middleware.Limit(256, metrics.Rejected, writeError)(metrics.Middleware(bare)))))
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"chain", chained}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/api/v1/todos/1", nil)
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// GET /api/v1/todos/{id} end to end: a keep-alive HTTP client, the whole
// server, real Postgres (and Redis for the ready check), one todo.
func BenchmarkGetTodo(b *testing.B) {
	s := buildStack(b, io.Discard, slog.LevelInfo)
	c := &http.Client{}
	resp, err := c.Post(s.URL+"/api/v1/todos", "application/json", strings.NewReader(`{"title":"benchmark"}`))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	url := fmt.Sprintf("%s/api/v1/todos/1", s.URL)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("got %s", resp.Status)
				return
			}
		}
	})
}
