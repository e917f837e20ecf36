package store

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// tracer logs every statement with its duration: at debug, or at warn when
// slower than slow or failed. The record carries the request id through the
// context (see package logging).
type tracer struct {
	log  *slog.Logger
	slow time.Duration
}

type traceKey struct{}

type traceStart struct {
	sql   string
	start time.Time
}

var _ pgx.QueryTracer = (*tracer)(nil)

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{sql: data.SQL, start: time.Now()})
}

func (t *tracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	s, ok := ctx.Value(traceKey{}).(traceStart)
	if !ok {
		return
	}
	d := time.Since(s.start)
	level := slog.LevelDebug
	if d >= t.slow || (data.Err != nil && !errorsIsCanceled(ctx)) {
		level = slog.LevelWarn
	}
	if !t.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("sql", compactSQL(s.sql)),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.Int64("rows", data.CommandTag.RowsAffected()),
		slog.Uint64("pid", uint64(conn.PgConn().PID())),
	}
	if d >= t.slow {
		attrs = append(attrs, slog.Bool("slow", true))
	}
	if data.Err != nil {
		attrs = append(attrs, slog.String("err", data.Err.Error()))
	}
	t.log.LogAttrs(ctx, level, "sql", attrs...)
}

func errorsIsCanceled(ctx context.Context) bool { return ctx.Err() != nil }

// compactSQL folds a statement's white space onto one line.
func compactSQL(sql string) string { return strings.Join(strings.Fields(sql), " ") }
