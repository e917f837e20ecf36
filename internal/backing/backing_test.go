package backing

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(RunTests(m)) }

func TestForTestServesRealServices(t *testing.T) {
	env := ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn, err := pgx.Connect(ctx, env.FreshDatabase(t))
	if err != nil {
		t.Fatalf("connect to a fresh database: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("fresh database: got %d tables, want 0", n)
	}

	rc, err := redis.DialURL(env.RedisURL)
	if err != nil {
		t.Fatalf("dial redis: %v", err)
	}
	defer rc.Close()
	if got, err := redis.String(rc.Do("ECHO", "hello")); err != nil || got != "hello" {
		t.Fatalf("redis ECHO: got %q, %v", got, err)
	}
}

// Data written to a kept directory survives a stop and a start, on the same port.
func TestLocalPostgresRestartKeepsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	// t.TempDir's directories are private; the server may run as the postgres user.
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	env, err := Start(ctx, Options{Dir: dir, NoContainers: true})
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

func TestMissingBinariesNamed(t *testing.T) {
	_, err := postgresBinDir("/nonexistent")
	if err == nil {
		t.Fatal("got no error for a PG_BIN without binaries")
	}
	if want := "PG_BIN=/nonexistent"; !strings.Contains(err.Error(), want) {
		t.Errorf("got %q, want it to name %s", err, want)
	}
}
