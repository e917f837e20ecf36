// Package backing gives `make run` (serve -backing-dir), the lab and tests a
// real Postgres and a real Redis.
//
// Start uses the URLs in DATABASE_URL and REDIS_URL when both are set, else
// starts servers from the local binaries (initdb/postgres and redis-server)
// on free loopback ports, in a temporary directory or in Options.Dir, run as
// the `postgres` user when the caller is root. The binaries are looked for
// where people install them (see FindPostgres); when they are missing the
// error names the install command for the platform.
//
// The package links no test machinery: containers and the test fixture live
// in internal/backingtest, which only tests import.
package backing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// Mode says where an Env's services come from.
type Mode string

// The modes Start can choose.
const (
	ModeEnv   Mode = "env"   // DATABASE_URL and REDIS_URL given
	ModeLocal Mode = "local" // local binaries
)

// Options tune Start. The zero value starts throwaway servers.
type Options struct {
	// Dir keeps the local servers' data between runs (postgres/ and redis/
	// below it). Empty: a temporary directory removed by Close.
	Dir string
	// Getenv reads DATABASE_URL, REDIS_URL and PG_BIN; nil reads nothing, so
	// services are always started.
	Getenv func(string) string
	// MaxConnections sets Postgres max_connections; 0 keeps the server default (100).
	MaxConnections int
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
}

// Env is a running pair of services.
type Env struct {
	Mode        Mode
	DatabaseURL string // postgres://…/taskoverflow
	RedisURL    string // redis://…/0

	// Postgres and Redis are the servers this Env started itself (nil in
	// ModeEnv): tests use them to stop and restart a service.
	Postgres *Postgres
	Redis    *Redis

	closers []func() error
	tempDir string
}

// Database is the name of the database Start creates and points DatabaseURL at.
const Database = "taskoverflow"

// Start brings up Postgres and Redis as Options say. The caller must Close the Env.
func Start(ctx context.Context, opts Options) (*Env, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if env, ok := FromEnvironment(getenv); ok {
		opts.Logger.Info("backing services from the environment")
		return env, nil
	}
	return startLocal(ctx, opts, getenv("PG_BIN"))
}

// FromEnvironment returns the Env of DATABASE_URL and REDIS_URL when getenv
// gives both, else false.
func FromEnvironment(getenv func(string) string) (*Env, bool) {
	if getenv == nil {
		return nil, false
	}
	db, rd := getenv("DATABASE_URL"), getenv("REDIS_URL")
	if db == "" || rd == "" {
		return nil, false
	}
	return &Env{Mode: ModeEnv, DatabaseURL: db, RedisURL: rd}, true
}

func startLocal(ctx context.Context, opts Options, pgBin string) (_ *Env, err error) {
	env := &Env{Mode: ModeLocal}
	defer func() {
		if err != nil {
			env.Close()
		}
	}()
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "taskoverflow-backing-"); err != nil {
			return nil, err
		}
		env.tempDir = dir
		// The servers may run as another user (postgres, when we are root).
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
	}
	pg, err := StartPostgres(ctx, PostgresOptions{
		Dir: filepath.Join(dir, "postgres"), BinDir: pgBin, Fsync: opts.Dir != "",
		MaxConnections: opts.MaxConnections, Logger: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	env.Postgres = pg
	env.closers = append(env.closers, pg.Close)
	rd, err := StartRedis(ctx, RedisOptions{Dir: filepath.Join(dir, "redis"), Persist: opts.Dir != "", Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	env.Redis = rd
	env.closers = append(env.closers, rd.Close)
	env.DatabaseURL, env.RedisURL = pg.URL(), rd.URL()
	return env, nil
}

// OnClose has Close call f, before what was registered earlier: the way for
// another package (containers, in tests) to build an Env of its own.
func (e *Env) OnClose(f func() error) { e.closers = append(e.closers, f) }

// Close stops what Start started and removes temporary data. It returns the
// first error met, after trying everything.
func (e *Env) Close() error {
	var errs []error
	for i := len(e.closers) - 1; i >= 0; i-- {
		errs = append(errs, e.closers[i]())
	}
	e.closers = nil
	if e.tempDir != "" {
		errs = append(errs, os.RemoveAll(e.tempDir))
		e.tempDir = ""
	}
	return errors.Join(errs...)
}

// String describes the Env without secrets.
func (e *Env) String() string {
	return fmt.Sprintf("%s (postgres %s, redis %s)", e.Mode, redactURL(e.DatabaseURL), e.RedisURL)
}
