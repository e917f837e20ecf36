package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/middleware"
)

// statusOf maps each error code to its HTTP status.
var statusOf = map[string]int{
	taskoverflow.EINVALID:      http.StatusBadRequest,
	taskoverflow.EUNAUTHORIZED: http.StatusUnauthorized,
	taskoverflow.ENOTFOUND:     http.StatusNotFound,
	taskoverflow.EMETHOD:       http.StatusMethodNotAllowed,
	taskoverflow.ECONFLICT:     http.StatusConflict,
	taskoverflow.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	taskoverflow.ETIMEOUT:      http.StatusRequestTimeout,
	taskoverflow.EOVERLOADED:   http.StatusServiceUnavailable,
	taskoverflow.ETOOMANY:      http.StatusTooManyRequests,
	taskoverflow.EUNAVAILABLE:  http.StatusServiceUnavailable,
	taskoverflow.EINTERNAL:     http.StatusInternalServerError,
}

// maxMessage bounds an error message, in the body and in the log: messages
// quote what the client sent.
const maxMessage = 1024

// StatusClientClosedRequest is recorded (in the log and metrics) for a
// request whose client hung up before it was answered.
const StatusClientClosedRequest = 499

// errorBody is every error response: {"error": "...", "request_id": "..."}.
type errorBody struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id"`
}

// errorWriter returns the one function that writes errors to clients. It
// maps the error's code to a status and writes a JSON body with a safe message
// and the request id. Internal errors are logged in full (the client sees only
// "internal error"), unavailable ones at warn with their cause; the message of
// every error, and the cause of any other, goes on the request's finishing
// log line. Messages are clipped to maxMessage bytes.
func errorWriter(log *slog.Logger) middleware.ErrorWriter {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		ctx := r.Context()
		code := taskoverflow.ErrorCode(err)
		// A body read past its deadline cancels the request's context too;
		// that client is still there to read its 408.
		if code != taskoverflow.ETIMEOUT && errors.Is(ctx.Err(), context.Canceled) {
			// The client hung up before the answer: not the server's failure.
			// Recorded as 499, as nginx does; nobody reads the body.
			middleware.AddLogAttrs(ctx, slog.String("error", "the client closed the request"))
			w.WriteHeader(StatusClientClosedRequest)
			return
		}
		msg := middleware.Clip(taskoverflow.ErrorMessage(err), maxMessage)
		switch code {
		case taskoverflow.EINTERNAL:
			log.ErrorContext(ctx, "internal error", "err", err.Error())
		case taskoverflow.EUNAVAILABLE:
			log.WarnContext(ctx, "backing service unavailable", "err", err.Error())
		default:
			if cause := errors.Unwrap(err); cause != nil {
				middleware.AddLogAttrs(ctx, slog.String("cause", middleware.Clip(cause.Error(), maxMessage)))
			}
		}
		middleware.AddLogAttrs(ctx, slog.String("error", msg))
		status, ok := statusOf[code]
		if !ok {
			status = http.StatusInternalServerError
		}
		if code == taskoverflow.EUNAVAILABLE {
			w.Header().Set("Retry-After", "1")
		}
		writeJSON(w, status, errorBody{Error: msg, RequestID: logging.RequestIDFrom(ctx)})
	}
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
