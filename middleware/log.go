package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"
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
// at error for 5xx, warn for 4xx, info otherwise. Lines of a level the logger
// does not log are not built. RequestID must run first.
func Log(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			la := &logAttrs{}
			ctx := context.WithValue(r.Context(), logAttrsKey{}, la)
			if log.Enabled(ctx, slog.LevelDebug) {
				log.LogAttrs(ctx, slog.LevelDebug, "request started", slog.String("remote", r.RemoteAddr))
			}
			ww := wrap(w, r)
			defer func() {
				status := statusOf(ww)
				level := slog.LevelInfo
				switch {
				case status >= 500:
					level = slog.LevelError
				case status >= 400:
					level = slog.LevelWarn
				}
				if !log.Enabled(ctx, level) {
					return
				}
				attrs := []slog.Attr{
					slog.String("route", routePattern(r)),
					slog.Int("status", status),
					slog.Int("bytes", ww.BytesWritten()),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
					slog.String("remote", r.RemoteAddr),
				}
				la.mu.Lock()
				attrs = append(attrs, la.attrs...)
				la.mu.Unlock()
				log.LogAttrs(ctx, level, "request finished", attrs...)
			}()
			next.ServeHTTP(ww, r.WithContext(ctx))
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

// wrap returns w as chi's WrapResponseWriter, which records the status and
// size and still offers the connection's Flusher, Hijacker and ReaderFrom;
// it reuses the one an outer layer made.
func wrap(w http.ResponseWriter, r *http.Request) chimw.WrapResponseWriter {
	if ww, ok := w.(chimw.WrapResponseWriter); ok {
		return ww
	}
	return chimw.NewWrapResponseWriter(w, r.ProtoMajor)
}

// statusOf is the status ww sent: 200 when the handler wrote nothing.
func statusOf(ww chimw.WrapResponseWriter) int {
	if s := ww.Status(); s != 0 {
		return s
	}
	return http.StatusOK
}
