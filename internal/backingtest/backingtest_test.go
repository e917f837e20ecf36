package backingtest

import (
	"context"
	"os"
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

	conn, err := pgx.Connect(ctx, FreshDatabase(t, env))
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
