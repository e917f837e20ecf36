package middleware

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// Limit serves at most max requests at once; beyond that it answers 503 with
// Retry-After at once, rather than queueing work the server cannot do in time,
// and counts the rejection. Paths in exempt (the liveness check) are never
// limited: a busy server is alive, and a load balancer that pulls busy
// instances makes an overload worse. A refused request with a body is
// answered without waiting for the body, on a connection then closed.
func Limit(max int, rejected prometheus.Counter, writeError ErrorWriter, exempt ...string) func(http.Handler) http.Handler {
	slots := make(chan struct{}, max)
	skip := make(map[string]bool, len(exempt))
	for _, p := range exempt {
		skip[p] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if skip[r.URL.Path] {
				next.ServeHTTP(w, r)
				return
			}
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				next.ServeHTTP(w, r)
			default:
				rejected.Inc()
				w.Header().Set("Retry-After", "1")
				if r.Body != nil && r.Body != http.NoBody {
					// Answer now and close, rather than let net/http read
					// the unused body first, as slowly as the client sends it.
					w.Header().Set("Connection", "close")
				}
				writeError(w, r, taskoverflow.Errorf(taskoverflow.EOVERLOADED, "the server is serving %d requests already; retry shortly", max))
			}
		})
	}
}
