//go:build e2e && !race

// An end-to-end run of its own CI step (make test-e2e, without -race: the race detector caps a
// process at 8128 live goroutines). It fails, never skips, when the machine cannot hold it.

package conncheck_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck/testserver"
)

// Ten thousand connections to a loopback server in a child process all get established and
// served.
func TestTenThousandConnections(t *testing.T) {
	const n = 10_000
	soft, _, err := conncheck.RaiseFDLimit()
	if err != nil || soft < n+100 {
		t.Fatalf("RLIMIT_NOFILE %d (%v) cannot hold %d connections", soft, err, n)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	child, err := testserver.StartChild(ctx, exe, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer child.Close()

	var peak runtime.MemStats
	r, err := conncheck.Run(ctx, conncheck.Config{
		Host:        "127.0.0.1",
		Port:        child.Port(),
		Connections: n,
		DialTimeout: 10 * time.Second,
		// Long enough for every probe's answer on a busy machine: the test
		// asks whether 10,000 are held and served, not how fast.
		Hold:     10 * time.Second,
		Interval: 100 * time.Millisecond,
		HTTPPath: "/",
		OnStats: func(s conncheck.Stats) {
			if s.Established == n && peak.Sys == 0 {
				runtime.ReadMemStats(&peak)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", r.Text())
	t.Logf("took %v; with %d open: heap %d KiB, stacks %d KiB, sys %d KiB", r.Elapsed.Round(time.Millisecond),
		n, peak.HeapInuse>>10, peak.StackInuse>>10, peak.Sys>>10)
	if !r.Passed() {
		t.Errorf("got failed, want all %d established and served", n)
	}
}
