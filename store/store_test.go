package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/store"
	"github.com/taskoverflow-lab/taskoverflow/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(backingtest.RunTests(m)) }

// testPool is a small pool, as the server's defaults would give.
var testPool = store.Options{MaxConns: 8, MaxConnLifetime: time.Hour, MaxConnIdleTime: 5 * time.Minute,
	HealthCheckPeriod: time.Minute, SlowQuery: time.Second}

// openFresh returns a migrated store on a new, empty database.
func openFresh(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), backingtest.FreshDatabase(t, backingtest.ForTest(t)), "", testPool, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return openFresh(t) })
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := openFresh(t)
	n, err := db.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("second Migrate: got %d applied, want 0", n)
	}
}
