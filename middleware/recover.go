package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// ErrorWriter writes err to the client as a JSON error (package api passes
// its handler's writeError).
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Recover turns a panic in a handler into a 500 JSON error carrying the
// request id, unless the handler had already begun its response (then the
// client gets what was written), and logs the panic with its stack.
// http.ErrAbortHandler passes through, as net/http expects.
func Recover(log *slog.Logger, writeError ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := wrap(w, r)
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if ww.Status() == 0 {
					writeError(ww, r, taskoverflow.Errorf(taskoverflow.EINTERNAL, "internal error"))
				}
			}()
			next.ServeHTTP(ww, r)
		})
	}
}
