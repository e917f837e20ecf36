package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
)

// logAttrs collects attributes handlers add to the request's finishing line.
type logAttrs struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

type logAttrsKey struct{}

// AddLogAttrs adds attributes to the "request finished" line of the request
// ctx belongs to; it does nothing outside Log.
func AddLogAttrs(ctx context.Context, attrs ...slog.Attr) {
	if la, ok := ctx.Value(logAttrsKey{}).(*logAttrs); ok {
		la.mu.Lock()
		la.attrs = append(la.attrs, attrs...)
		la.mu.Unlock()
	}
}

// Log logs "request started" (debug) and one "request finished" line per
// request with its route pattern, status, bytes, duration and remote address;
// at error for 5xx, warn for 4xx, info otherwise. RequestID must run first.
func Log(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			la := &logAttrs{}
			ctx := context.WithValue(r.Context(), logAttrsKey{}, la)
			log.LogAttrs(ctx, slog.LevelDebug, "request started", slog.String("remote", r.RemoteAddr))
			rec := wrap(w)
			defer func() {
				level := slog.LevelInfo
				switch {
				case rec.status >= 500:
					level = slog.LevelError
				case rec.status >= 400:
					level = slog.LevelWarn
				}
				attrs := []slog.Attr{
					slog.String("route", routePattern(r)),
					slog.Int("status", rec.status),
					slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
					slog.String("remote", r.RemoteAddr),
				}
				la.mu.Lock()
				attrs = append(attrs, la.attrs...)
				la.mu.Unlock()
				log.LogAttrs(ctx, level, "request finished", attrs...)
			}()
			next.ServeHTTP(rec, r.WithContext(ctx))
		})
	}
}

// routePattern is the chi pattern the request matched ("/api/v1/todos/{id}"),
// never the raw path, or "unmatched".
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

// wrap returns w as a *recorder, reusing one an outer layer made.
func wrap(w http.ResponseWriter) *recorder {
	if rec, ok := w.(*recorder); ok {
		return rec
	}
	return &recorder{ResponseWriter: w, status: http.StatusOK}
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
