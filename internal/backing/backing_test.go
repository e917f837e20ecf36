package backing

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Data written to a kept directory survives a stop and a start, on the same port.
func TestLocalPostgresRestartKeepsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	// t.TempDir's directories are private; the server may run as the postgres user.
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	env, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if env.Mode != ModeLocal {
		t.Fatalf("mode: got %s, want local", env.Mode)
	}
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, env.DatabaseURL)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	if err := env.Postgres.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := exec("SELECT 1"); err == nil {
		t.Fatal("query succeeded while Postgres was stopped")
	}
	if err := env.Postgres.Start(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != 42 {
		t.Fatalf("after restart: got %d, %v; want 42", v, err)
	}
}

func TestStartFromEnvironment(t *testing.T) {
	getenv := func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://a@db:5432/x", "REDIS_URL": "redis://cache:6379/0"}[k]
	}
	env, err := Start(context.Background(), Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if env.Mode != ModeEnv || env.DatabaseURL != "postgres://a@db:5432/x" || env.RedisURL != "redis://cache:6379/0" {
		t.Fatalf("got %+v, want the environment's URLs", env)
	}
}

// A second start on a data directory another server holds names that
// server and its pid, not "did not come up: connection refused"; once the
// first stops, the directory starts again.
func TestSecondStartOnOneDirNamesTheHolder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	first, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	second, err := Start(ctx, Options{Dir: dir})
	if err == nil {
		second.Close()
		t.Fatal("second start on the same directory: got no error")
	}
	var held *HeldError
	if !errors.As(err, &held) {
		t.Fatalf("second start: got %q, want a *HeldError", err)
	}
	pgDir := filepath.Join(dir, "postgres")
	if held.Pid != first.Postgres.Pid() || held.Dir != pgDir || held.Port != first.Postgres.Port() {
		t.Errorf("HeldError: got pid %d dir %s port %d, want pid %d dir %s port %d",
			held.Pid, held.Dir, held.Port, first.Postgres.Pid(), pgDir, first.Postgres.Port())
	}
	msg := err.Error()
	for _, want := range []string{"another Postgres server holds " + pgDir, "pid " + strconv.Itoa(first.Postgres.Pid()), "postmaster.pid"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "did not come up") {
		t.Errorf("message %q blames the start, not the holder", msg)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := Start(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatalf("start after the first stopped: %v", err)
	}
	third.Close()
}
