package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/apiproc"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
)

func TestMain(m *testing.M) { os.Exit(backingtest.RunTests(m)) }

// TestShardsAgainstTheRealAPI runs the practical's planners and studiers
// as three shard processes against the real API (its own Postgres and
// Redis), and merges them: the planners' 60 shared iterations (20 VUs and
// 400 iterations scaled by 0.15) each created exactly one todo, 60 in all,
// as one process would.
func TestShardsAgainstTheRealAPI(t *testing.T) {
	loadtest, _ := buildBinaries(t)
	env := backingtest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api, err := apiproc.Start(ctx, apiproc.Options{Env: map[string]string{
		"DATABASE_URL": backingtest.FreshDatabase(t, env),
		"REDIS_URL":    env.RedisURL,
		"BCRYPT_COST":  "4",
	}})
	if err != nil {
		t.Fatalf("start the API: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = api.Stop(ctx)
	})
	dir := t.TempDir()
	shards := make([]string, 3)
	results := make([]procResult, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		shards[i] = filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		wg.Go(func() {
			results[i] = runProc(t, loadtest, "run", "planners-and-studiers", "--endpoint", api.URL,
				"--time-scale", "0.05", "--vus-scale", "0.15", "--quiet", "--shard", fmt.Sprintf("%d/3", i),
				"--run-id", "api", "--out", shards[i])
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("shard %d: exit %d\n%s", i, r.code, r.stderr)
		}
	}
	merged := filepath.Join(dir, "merged.json")
	r := runProc(t, loadtest, "merge", shards[0], shards[1], shards[2], "--out", merged, "--threshold", "http_req_failed<0.01")
	if r.code != 0 {
		t.Fatalf("merge: exit %d\n%s", r.code, r.stderr)
	}
	m := readSummary(t, merged)
	post := m.Requests["POST /api/v1/todos"]
	if post == nil || post.Count != 60 || post.Failed != 0 {
		t.Errorf("merged POST /api/v1/todos: %+v, want 60 requests, none failed", post)
	}
	if r := runProc(t, loadtest, "merge", shards[0], shards[2]); r.code != exitIncomplete {
		t.Errorf("merge without shard 1: exit %d, want %d\n%s", r.code, exitIncomplete, r.stderr)
	}
}
