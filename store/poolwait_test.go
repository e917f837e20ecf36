package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/internal/faults"
	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/store"
)

// With PoolWait set, a statement that finds the pool's one connection busy
// (Postgres made slow by a latency toxic) gives up after the wait with
// EUNAVAILABLE and is counted; without it, the same statement waits for the
// connection and succeeds.
func TestPoolWait(t *testing.T) {
	url := backingtest.FreshDatabase(t, backingtest.ForTest(t))
	migrated, err := store.Open(context.Background(), url, "", testPool, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrated.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	todo, err := migrated.CreateTodo(context.Background(), taskoverflow.Todo{Title: "one"})
	migrated.Close()
	if err != nil {
		t.Fatal(err)
	}
	proxy, slowURL := faults.StartURL(t, "postgres", url)

	for _, tt := range []struct {
		name     string
		wait     time.Duration
		wantCode string // of the second statement; "" for success
	}{
		{"bounded", 100 * time.Millisecond, taskoverflow.EUNAVAILABLE},
		{"request's deadline", 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := testPool
			opts.MaxConns, opts.MinConns, opts.PoolWait = 1, 1, tt.wait
			db, err := store.Open(context.Background(), slowURL, "", opts, logging.Discard())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			toxic := proxy.Latency(t, faults.Downstream, 800, 0)
			defer proxy.Remove(t, toxic)

			first := make(chan error, 1)
			go func() {
				_, err := db.GetTodo(context.Background(), todo.ID)
				first <- err
			}()
			// The first statement holds the only connection once the pool
			// counts it acquired.
			for db.Stat().AcquiredConns() == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err = db.GetTodo(ctx, todo.ID)
			if err := <-first; err != nil {
				t.Fatalf("first statement: %v", err)
			}
			runOut := testutil.ToFloat64(gather(t, db.Collector(), "pgxpool_wait_run_out_total"))
			if tt.wantCode == "" {
				if err != nil || runOut != 0 {
					t.Fatalf("second statement: got %v (waits run out %v), want it to wait and succeed", err, runOut)
				}
				return
			}
			if code := taskoverflow.ErrorCode(err); code != tt.wantCode || !strings.Contains(taskoverflow.ErrorMessage(err), "DB_POOL_WAIT") {
				t.Fatalf("second statement: got %v (code %q), want %s naming DB_POOL_WAIT", err, code, tt.wantCode)
			}
			if runOut != 1 {
				t.Errorf("pgxpool_wait_run_out_total: got %v, want 1", runOut)
			}
		})
	}
}

// gather returns the one metric called name that c collects.
func gather(t *testing.T, c prometheus.Collector, name string) prometheus.Collector {
	t.Helper()
	ch := make(chan prometheus.Metric, 32)
	c.Collect(ch)
	close(ch)
	for m := range ch {
		if strings.Contains(m.Desc().String(), `"`+name+`"`) {
			return constCollector{m}
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

type constCollector struct{ m prometheus.Metric }

func (c constCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.m.Desc() }
func (c constCollector) Collect(ch chan<- prometheus.Metric) { ch <- c.m }
