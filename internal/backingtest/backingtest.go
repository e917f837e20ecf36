// Package backingtest is the test side of internal/backing: one Postgres and
// Redis per test binary (ForTest, stopped by RunTests), fresh databases, and
// containers through testcontainers-go when a Docker daemon answers. Only
// tests import it, so the server binary links no test machinery.
package backingtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskoverflow-lab/taskoverflow/internal/backing"
)

// ModeContainers is the Mode of an Env whose services run in Docker containers.
const ModeContainers backing.Mode = "testcontainers"

// Start brings up Postgres and Redis for tests: the environment's
// DATABASE_URL and REDIS_URL when both are set, else containers when a
// Docker daemon answers, else local binaries (backing.Start). The caller
// must Close the Env.
func Start(ctx context.Context, opts backing.Options) (*backing.Env, error) {
	if env, ok := backing.FromEnvironment(opts.Getenv); ok {
		return env, nil
	}
	if dockerAnswers(ctx) {
		env, err := startContainers(ctx, opts)
		if err == nil {
			return env, nil
		}
		if opts.Logger != nil {
			opts.Logger.Warn("containers did not start; trying local binaries", "err", err)
		}
	}
	return backing.Start(ctx, opts)
}

// shared is the one Env a test binary starts through ForTest and stops in RunTests.
var shared struct {
	sync.Mutex
	env     *backing.Env
	err     error
	started bool
	inMain  bool
}

// RunTests runs a package's tests and then stops the services ForTest
// started. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(backingtest.RunTests(m)) }
func RunTests(m *testing.M) int {
	shared.Lock()
	shared.inMain = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.env != nil {
		if err := shared.env.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "backingtest: stopping services:", err)
		}
	}
	return code
}

// ForTest returns the test binary's Postgres and Redis, starting them on
// first use. It fails the test when they cannot start: a missing service is a
// failure, never a skip. The package's TestMain must call RunTests.
func ForTest(tb testing.TB) *backing.Env {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if !shared.inMain {
		tb.Fatal("backingtest.ForTest needs TestMain to call backingtest.RunTests")
	}
	if !shared.started {
		shared.started = true
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.env, shared.err = Start(ctx, backing.Options{Getenv: os.Getenv})
	}
	if shared.err != nil {
		tb.Fatalf("backing services: %v", shared.err)
	}
	return shared.env
}

// FreshDatabase creates an empty database on e's Postgres server and returns
// its URL; the database is dropped when the test ends.
func FreshDatabase(tb testing.TB, e *backing.Env) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, err := url.Parse(e.DatabaseURL)
	if err != nil {
		tb.Fatalf("DatabaseURL: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	admin := *u
	admin.Path = "/postgres"
	if err := backing.CreateDatabase(ctx, admin.String(), name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin.String())
		if err != nil {
			tb.Logf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Logf("drop database %s: %v", name, err)
		}
	})
	fresh := *u
	fresh.Path = "/" + name
	return fresh.String()
}
