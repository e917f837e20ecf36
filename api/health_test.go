package api_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taskoverflow-lab/taskoverflow/api"
	"github.com/taskoverflow-lab/taskoverflow/inmem"
	"github.com/taskoverflow-lab/taskoverflow/logging"
)

// pinger is a backing service that answers, or not.
type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func TestHealthIgnoresTheDatabaseUnlessWiredToIt(t *testing.T) {
	down := pinger{errors.New("connection refused")}
	tests := []struct {
		name           string
		healthChecksDB bool
		draining       bool
		health, ready  int
	}{
		{"liveness independent of the database", false, false, 200, 503},
		{"health wired through the database fails with it", true, false, 503, 503},
		{"draining turns ready to 503 only", false, true, 200, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := inmem.New()
			draining := new(atomic.Bool)
			draining.Store(tt.draining)
			h := api.Routes(api.Deps{
				Todos: db, Users: db, Ready: map[string]api.Pinger{"postgres": down, "redis": pinger{}},
				Log: logging.Discard(), Registry: prometheus.NewRegistry(),
			}, api.Options{MaxInflight: 4, RequestTimeout: time.Second, ReadyTimeout: time.Second, HealthChecksDB: tt.healthChecksDB}, draining)
			for path, want := range map[string]int{"/api/v1/health": tt.health, "/api/v1/ready": tt.ready} {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != want {
					t.Errorf("%s: got %d %s, want %d", path, rec.Code, rec.Body, want)
				}
			}
		})
	}
}
