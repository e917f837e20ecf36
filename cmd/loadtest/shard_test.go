package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// buildBinaries builds loadtest and the test's plan into a temporary
// directory: the shards are real processes, as on many machines.
func buildBinaries(t *testing.T) (loadtest, plan string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test builds loadtest and a plan binary; make test runs it")
	}
	dir := t.TempDir()
	loadtest, plan = filepath.Join(dir, "loadtest"), filepath.Join(dir, "shardplan")
	for bin, pkg := range map[string]string{loadtest: ".", plan: "./testdata/shardplan"} {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return loadtest, plan
}

type procResult struct {
	code           int
	stdout, stderr string
}

func runProc(t *testing.T, bin string, args ...string) procResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"} // no SHARD_* or ENDPOINT from the test's environment
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", bin, err)
	}
	return procResult{code, stdout.String(), stderr.String()}
}

// TestShardsOnThreeProcessesMergeToTheWholeRun runs a shared-iterations
// plan whole, then as three shard processes started together against the
// same server, and merges the shards: the iterations add up to exactly the
// whole run's, the thresholds are judged on the merge only, and a shard
// left out or given twice makes the merge incomplete.
func TestShardsOnThreeProcessesMergeToTheWholeRun(t *testing.T) {
	loadtest, plan := buildBinaries(t)
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	dir := t.TempDir()

	whole := filepath.Join(dir, "whole.json")
	if r := runProc(t, plan, "--endpoint", srv.URL, "--quiet", "--out", whole); r.code != 0 {
		t.Fatalf("whole run: exit %d\n%s", r.code, r.stderr)
	}
	if got := readSummary(t, whole).Iterations.Complete; got != 301 {
		t.Fatalf("whole run: %d iterations, want 301", got)
	}
	served.Store(0)

	// Each shard alone runs about a third of the 301 iterations: it
	// crosses "iterations>=301", advisory on a shard; the merge passes it.
	startAt := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	shards := make([]string, 3)
	results := make([]procResult, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		shards[i] = filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		wg.Go(func() {
			results[i] = runProc(t, plan, "--endpoint", srv.URL, "--quiet", "--shard", fmt.Sprintf("%d/3", i),
				"--start-at", startAt, "--run-id", "r1", "--threshold", "iterations>=301", "--out", shards[i])
		})
	}
	wg.Wait()
	var sum int64
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("shard %d: exit %d, want 0 (advisory thresholds)\n%s", i, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "advisory") || !strings.Contains(r.stderr, "crossed on this shard's own share: iterations>=301") {
			t.Errorf("shard %d does not say its crossed threshold is advisory:\n%s", i, r.stderr)
		}
		s := readSummary(t, shards[i])
		if s.Shard == nil || s.Shard.RunID != "r1" || s.Shard.Sequence != "0,1/3,2/3,1" || s.Shard.Started.IsZero() {
			t.Fatalf("shard %d: shard info %+v", i, s.Shard)
		}
		if c := s.Iterations.Complete; c < 100 || c > 101 {
			t.Errorf("shard %d ran %d iterations, want its third of 301 (100 or 101)", i, c)
		}
		sum += s.Iterations.Complete
	}
	if sum != 301 || served.Load() != 301 {
		t.Errorf("shards ran %d iterations and the server saw %d requests, want 301 each", sum, served.Load())
	}

	merged := filepath.Join(dir, "merged.json")
	r := runProc(t, loadtest, "merge", shards[0], shards[1], shards[2], "--out", merged, "--html", filepath.Join(dir, "merged.html"))
	if r.code != 0 {
		t.Fatalf("merge: exit %d, want 0\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `run "r1" complete`) || !strings.Contains(r.stderr, "start skew") {
		t.Errorf("merge does not say the run is complete and its skew:\n%s", r.stderr)
	}
	m := readSummary(t, merged)
	if m.Iterations.Complete != 301 || m.Total().Count != 301 {
		t.Errorf("merged: %d iterations, %d requests; want 301 each", m.Iterations.Complete, m.Total().Count)
	}
	if len(m.Thresholds) != 1 || !m.Thresholds[0].OK {
		t.Errorf("merged thresholds %+v: want iterations>=301 judged once and passed", m.Thresholds)
	}

	// A threshold crossed on the whole run: 99, from the merge.
	r = runProc(t, loadtest, "merge", shards[0], shards[1], shards[2], "--threshold", "iterations>301")
	if r.code != exitThreshold {
		t.Errorf("merge with iterations>301: exit %d, want %d\n%s", r.code, exitThreshold, r.stderr)
	}

	for _, tc := range []struct {
		name  string
		files []string
		say   string
	}{
		{"a shard left out", []string{shards[0], shards[2]}, "missing 1/3:2/3"},
		{"one shard alone", []string{shards[1]}, "missing 0:1/3, 2/3:1"},
		{"a shard twice", []string{shards[0], shards[1], shards[2], shards[1]}, "more than once 1/3:2/3"},
		{"a plain run among shards", []string{shards[0], shards[1], shards[2], whole}, "not a shard"},
		{"a shard that wrote nothing", []string{shards[0], shards[1], filepath.Join(dir, "shard-9.json")}, "no summary at"},
	} {
		r := runProc(t, loadtest, append([]string{"merge"}, tc.files...)...)
		if r.code != exitIncomplete || !strings.Contains(r.stderr, "incomplete") || !strings.Contains(r.stderr, tc.say) {
			t.Errorf("merge of %s: exit %d, want %d (incomplete) saying %q\n%s", tc.name, r.code, exitIncomplete, tc.say, r.stderr)
		}
	}
}
