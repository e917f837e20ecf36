package middleware_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/middleware"
)

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := map[string]int{taskoverflow.EOVERLOADED: 503, taskoverflow.EINTERNAL: 500}[taskoverflow.ErrorCode(err)]
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": taskoverflow.ErrorMessage(err), "request_id": logging.RequestIDFrom(r.Context())})
}

// Beyond max requests in flight: 503 with Retry-After at once, counted; the
// exempt path still passes.
func TestLimit(t *testing.T) {
	rejected := prometheus.NewCounter(prometheus.CounterOpts{Name: "rejected"})
	release := make(chan struct{})
	entered := make(chan struct{})
	h := middleware.Limit(1, rejected, writeError, "/health")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
	}))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/slow", nil))
	}()
	<-entered
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/todos", nil))
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("second request: got %d Retry-After %q, want 503 with Retry-After 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	if got := testutil.ToFloat64(rejected); got != 1 {
		t.Errorf("rejections counted: got %v, want 1", got)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	if rec.Code != 200 {
		t.Errorf("exempt path while full: got %d, want 200", rec.Code)
	}
	close(release)
	wg.Wait()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/todos", nil))
	if rec.Code != 200 {
		t.Errorf("after the slot freed: got %d, want 200", rec.Code)
	}
}

// A panic becomes a 500 JSON error with the request id, logged with its stack.
func TestRecover(t *testing.T) {
	var logs bytes.Buffer
	log := logging.New(&logs, "json", slog.LevelDebug, false)
	h := middleware.RequestID(middleware.Log(log)(middleware.Recover(log, writeError)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/todos", nil)
	req.Header.Set("X-Request-ID", "req-panic")
	h.ServeHTTP(rec, req)
	var body map[string]string
	json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != 500 || body["request_id"] != "req-panic" || body["error"] != "internal error" {
		t.Errorf("got %d %s, want 500 with the request id and a safe message", rec.Code, rec.Body)
	}
	out := logs.String()
	if !strings.Contains(out, `"msg":"panic","panic":"boom"`) || !strings.Contains(out, "middleware_test.go") || !strings.Contains(out, `"request_id":"req-panic"`) {
		t.Errorf("the panic was not logged with its stack and request id:\n%s", out)
	}
	if !strings.Contains(out, `"msg":"request finished","route":"unmatched","status":500`) {
		t.Errorf("the finishing line does not say 500:\n%s", out)
	}
}

// Behind every layer the handler still reaches the connection's optional
// interfaces: Flusher (streaming), Hijacker (upgrades) and ReaderFrom
// (sendfile), as go-chi/httplog keeps them.
func TestLayersKeepResponseWriterInterfaces(t *testing.T) {
	log := logging.Discard()
	metrics := middleware.NewMetrics(prometheus.NewRegistry())
	got := make(chan string, 1)
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, fl := w.(http.Flusher)
		_, hj := w.(http.Hijacker)
		_, rf := w.(io.ReaderFrom)
		got <- fmt.Sprintf("flusher=%v hijacker=%v readerfrom=%v", fl, hj, rf)
		w.Write([]byte("ok"))
	})
	h := middleware.RequestID(middleware.Log(log)(middleware.Recover(log, writeError)(
		middleware.Limit(4, metrics.Rejected, writeError)(metrics.Middleware(inner)))))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if g, want := <-got, "flusher=true hijacker=true readerfrom=true"; g != want {
		t.Errorf("the handler's ResponseWriter: got %s, want %s", g, want)
	}
}

// The finishing line is the one the handler's status calls for, and the
// status of a handler that writes nothing is 200.
func TestLogStatusAndLevel(t *testing.T) {
	var logs bytes.Buffer
	log := logging.New(&logs, "json", slog.LevelInfo, false)
	for _, status := range []int{0, 201, 404, 503} {
		h := middleware.RequestID(middleware.Log(log)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if status != 0 {
				w.WriteHeader(status)
			}
		})))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/todos", nil))
	}
	for _, want := range []string{
		`"level":"INFO","msg":"request finished","route":"unmatched","status":200`,
		`"level":"INFO","msg":"request finished","route":"unmatched","status":201`,
		`"level":"WARN","msg":"request finished","route":"unmatched","status":404`,
		`"level":"ERROR","msg":"request finished","route":"unmatched","status":503`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no line %s in:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "request started") {
		t.Errorf("debug lines logged at info:\n%s", logs.String())
	}
}
