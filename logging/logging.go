// Package logging builds the server's slog logger: JSON lines for machines,
// tint-coloured text for people, and a handler that stamps every record logged
// with a request's context with that request's id, method and URL, so that the
// HTTP, SQL and Redis lines of one request can be found together
// (CloudWatch Logs Insights: `fields request_id, url, method`).
package logging

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/lmittmann/tint"
)

// Request identifies the request a context belongs to.
type Request struct {
	ID     string
	Method string
	URL    string
}

type requestKey struct{}

// WithRequest returns ctx carrying r.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the request ctx belongs to, if any.
func RequestFrom(ctx context.Context) (Request, bool) {
	r, ok := ctx.Value(requestKey{}).(Request)
	return r, ok
}

// RequestIDFrom returns the id of the request ctx belongs to, or "".
func RequestIDFrom(ctx context.Context) string {
	r, _ := RequestFrom(ctx)
	return r.ID
}

// New returns a logger writing to w: JSON when format is "json", coloured text
// when it is "text", and for "auto" text when w is a terminal, else JSON.
func New(w io.Writer, format string, level slog.Leveler, terminal bool) *slog.Logger {
	var h slog.Handler
	if format == "text" || (format == "auto" && terminal) {
		h = tint.NewHandler(w, &tint.Options{Level: level, TimeFormat: time.TimeOnly + ".000", NoColor: !terminal})
	} else {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	}
	return slog.New(contextHandler{h})
}

// contextHandler adds the request's fields to records logged with its context.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if req, ok := RequestFrom(ctx); ok {
		r.AddAttrs(slog.String("request_id", req.ID), slog.String("method", req.Method), slog.String("url", req.URL))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// Discard returns a logger that writes nothing, for tests and tools.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
