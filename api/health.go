package api

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
	"github.com/taskoverflow-lab/taskoverflow/logging"
)

// health is the liveness check: the process serves HTTP. It touches no
// backing service, so a slow database cannot make a load balancer pull a
// healthy instance.
// With HealthChecksDB it also pings Postgres through the pool, within
// RequestTimeout, and answers 503 when that fails.
func (h *handler) health(w http.ResponseWriter, r *http.Request) {
	if pg, ok := h.Ready["postgres"]; ok && h.opts.HealthChecksDB {
		ctx, cancel := context.WithTimeout(r.Context(), h.opts.RequestTimeout)
		defer cancel()
		if err := pg.Ping(ctx); err != nil {
			h.writeError(w, r, &taskoverflow.Error{Code: taskoverflow.EUNAVAILABLE, Message: "the database does not answer the health check", Err: err})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready answers 200 when every backing service answers within ReadyTimeout,
// else 503 naming the ones that did not ("unavailable"); their errors, which
// hold addresses, go to the log only. 503 too while shutting down.
func (h *handler) ready(w http.ResponseWriter, r *http.Request) {
	if h.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{
			"status": "shutting down", "error": "the server is shutting down", "request_id": logging.RequestIDFrom(r.Context()),
		})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.ReadyTimeout)
	defer cancel()
	body := map[string]string{"status": "ok"}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, p := range h.Ready {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state := "ok"
			if err := p.Ping(ctx); err != nil {
				state = "unavailable"
				h.Log.WarnContext(r.Context(), "not ready", "service", name, "err", err.Error())
			}
			mu.Lock()
			body[name] = state
			mu.Unlock()
		}()
	}
	wg.Wait()
	var failed []string
	for name := range h.Ready {
		if body[name] != "ok" {
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		body["status"] = "unavailable"
		body["error"] = "not answering: " + strings.Join(failed, ", ")
		body["request_id"] = logging.RequestIDFrom(r.Context())
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	writeJSON(w, http.StatusOK, body)
}
