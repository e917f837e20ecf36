// Package store keeps todos and users in Postgres through a pgxpool whose
// every knob is set by its Options. Each SQL statement is logged through a
// pgx tracer with the request id of the context it ran under.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// DB is the Postgres store.
type DB struct {
	pool     *pgxpool.Pool
	log      *slog.Logger
	poolWait time.Duration
	// waitsRunOut counts takes given up after PoolWait (for metrics).
	waitsRunOut atomic.Int64
}

// Options are the pool's settings (the server maps DB_* configuration onto
// them).
type Options struct {
	MaxConns          int32
	MinConns          int32
	MaxConnLifetime   time.Duration
	MaxConnIdleTime   time.Duration
	HealthCheckPeriod time.Duration
	SlowQuery         time.Duration // statements slower than this log at warn
	// PoolWait bounds how long a statement waits for a free connection
	// before failing with EUNAVAILABLE; 0 waits as long as its context allows.
	PoolWait time.Duration
}

// Open configures a pool for url (password, when given, replaces the URL's)
// with the settings of cfg. It does not wait for the server: the first
// statement connects.
func Open(ctx context.Context, url, password string, cfg Options, log *slog.Logger) (*DB, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", redactParseError(err))
	}
	if password != "" {
		pc.ConnConfig.Password = password
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pc.MaxConns = cfg.MaxConns
	pc.MinConns = cfg.MinConns
	pc.MaxConnLifetime = cfg.MaxConnLifetime
	pc.MaxConnLifetimeJitter = cfg.MaxConnLifetime / 10
	pc.MaxConnIdleTime = cfg.MaxConnIdleTime
	pc.HealthCheckPeriod = cfg.HealthCheckPeriod
	pc.ConnConfig.Tracer = &tracer{log: log, slow: cfg.SlowQuery}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	return &DB{pool: pool, log: log, poolWait: cfg.PoolWait}, nil
}

// acquire takes a connection from the pool, waiting for a free one at most
// PoolWait (when set) and never past ctx. A wait that runs out is an
// EUNAVAILABLE error, which the API answers with 503 and Retry-After, so an
// instance whose database is slow sheds load at once rather than making
// every request queue; the caller releases the connection.
func (db *DB) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	if db.poolWait <= 0 {
		c, err := db.pool.Acquire(ctx)
		return c, classify(err)
	}
	wait, cancel := context.WithTimeout(ctx, db.poolWait)
	defer cancel()
	c, err := db.pool.Acquire(wait)
	if err != nil && ctx.Err() == nil && wait.Err() != nil {
		db.waitsRunOut.Add(1)
		return nil, &taskoverflow.Error{Code: taskoverflow.EUNAVAILABLE,
			Message: "no database connection came free within DB_POOL_WAIT; try again", Err: err}
	}
	return c, classify(err)
}

// Close closes every connection, waiting for those in use to be released.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that Postgres answers, through the pool (waiting for a
// connection as a statement does).
func (db *DB) Ping(ctx context.Context) error {
	c, err := db.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return classify(c.Ping(ctx))
}

// Stat returns the pool's statistics (for metrics).
func (db *DB) Stat() *pgxpool.Stat { return db.pool.Stat() }

// WaitReady pings until Postgres answers, ctx ends or limit passes, logging
// each failed attempt.
func (db *DB) WaitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		err := db.pool.Ping(ctx)
		if err == nil {
			return nil
		}
		db.log.Warn("waiting for postgres", "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres did not answer within %v: %w", limit, err)
		case <-time.After(time.Second):
		}
	}
}

// redactParseError keeps pgconn's parse errors from echoing the URL, which
// may hold a password.
func redactParseError(err error) error {
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return errors.New("cannot parse the connection string: " + pe.Unwrap().Error())
	}
	return errors.New("cannot parse the connection string")
}
