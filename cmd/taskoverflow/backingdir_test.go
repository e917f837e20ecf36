package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/apiproc"
)

// A second `serve -backing-dir` on the data directory of a running one (a
// second `make run`) exits naming the server that holds it and its pid,
// not "postgres did not come up: connection refused".
func TestSecondServeOnOneBackingDirNamesTheHolder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	// t.TempDir's directories are private; Postgres may run as the postgres user.
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	data := filepath.Join(dir, ".data")
	first, err := apiproc.Start(ctx, apiproc.Options{Args: []string{"serve", "-backing-dir", data}})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Stop(ctx)

	second, err := apiproc.Start(ctx, apiproc.Options{Args: []string{"serve", "-backing-dir", data}, NoWait: true})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-second.Done():
	case <-ctx.Done():
		second.Kill()
		t.Fatal("the second server did not exit")
	}
	if second.Err() == nil {
		t.Fatal("the second server exited 0, want a failure")
	}
	pidFile, err := os.ReadFile(filepath.Join(data, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	out := string(second.Logs())
	t.Logf("second server's output:\n%s", out)
	for _, want := range []string{"another Postgres server holds " + filepath.Join(data, "postgres"), "pid " + strconv.Itoa(pid)} {
		if !strings.Contains(out, want) {
			t.Errorf("second server's output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "did not come up") {
		t.Errorf("second server's output blames the start:\n%s", out)
	}
}
