package store

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// classify turns errors that mean "Postgres cannot serve us now" (the server
// is down, refuses connections, has too many clients, is shutting down, or the
// request's deadline ran out waiting) into EUNAVAILABLE errors, so that the API
// answers 503 rather than 500. Other errors pass unchanged.
func classify(err error) error {
	if err == nil || taskoverflow.ErrorCode(err) != taskoverflow.EINTERNAL {
		return err
	}
	if unavailable(err) {
		return &taskoverflow.Error{Code: taskoverflow.EUNAVAILABLE, Message: "the database is unavailable; try again", Err: err}
	}
	return err
}

func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "53"),                                 // insufficient resources: too many connections
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutdown, cannot connect now
			pgErr.Code == "57014": // query canceled (statement or request timeout)
			return true
		}
		return false
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "closed pool")
}
