package middleware_test

import (
	"bytes"
	"encoding/json"
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
