package api_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
	"github.com/taskoverflow-lab/taskoverflow/api"
	"github.com/taskoverflow-lab/taskoverflow/inmem"
	"github.com/taskoverflow-lab/taskoverflow/logging"
)

// slowTodos answers a list only when the request's context ends, with the
// error a store returns then.
type slowTodos struct{ *inmem.Store }

func (slowTodos) ListTodos(ctx context.Context, _ taskoverflow.TodoFilter) ([]taskoverflow.Todo, error) {
	<-ctx.Done()
	return nil, &taskoverflow.Error{Code: taskoverflow.EUNAVAILABLE, Message: "the database is unavailable; try again", Err: ctx.Err()}
}

// A client that hangs up is recorded as 499, not as the server's 503; a
// request that runs out of REQUEST_TIMEOUT is the server's 503.
func TestClientHangUpIsNotAServerError(t *testing.T) {
	tests := []struct {
		name       string
		hangUp     bool
		wantStatus string
	}{
		{"client hangs up", true, "499"},
		{"request timeout", false, "503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			h := api.Routes(api.Deps{Todos: slowTodos{inmem.New()}, Log: logging.Discard(), Registry: reg},
				api.Options{MaxInflight: 4, RequestTimeout: 100 * time.Millisecond, ReadyTimeout: time.Second}, new(atomic.Bool))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.hangUp {
				time.AfterFunc(10*time.Millisecond, cancel)
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/todos", nil).WithContext(ctx))
			want := `http_requests_total{method="GET",route="/api/v1/todos",status="` + tt.wantStatus + `"} 1`
			if err := testutil.GatherAndCompare(reg, strings.NewReader("# HELP http_requests_total HTTP requests finished, by route pattern, method and status.\n# TYPE http_requests_total counter\n"+want+"\n"), "http_requests_total"); err != nil {
				t.Error(err)
			}
		})
	}
}
