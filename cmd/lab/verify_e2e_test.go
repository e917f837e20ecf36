//go:build e2e

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// TestVerifyQuickCases runs lab verify as a student would, for every quick
// case, three times: the settings lab init writes (the shipped broken ones)
// fail, the reference solution passes, and a known wrong fix fails with
// its hint. As a teacher checking a class would, it keeps the first
// verification's broken run (--broken-runs) and judges the other two
// against it.
func TestVerifyQuickCases(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "taskoverflow")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/taskoverflow").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	wrong := map[string]struct {
		settings map[string]string
		hint     string
	}{
		// Keeping more idle connections does not bound the pool.
		"redis-pool-unbounded": {map[string]string{"REDIS_MAX_ACTIVE": "unlimited", "REDIS_MAX_IDLE": "16", "REDIS_WAIT": "false",
			"MAX_INFLIGHT": "1024", "GOMAXPROCS": "1"}, "unlimited has no size"},
		// A pool big enough, the health check still on it: it waits in the line.
		"db-saturation": {map[string]string{"DB_MAX_CONNS": "8", "DB_MIN_CONNS": "2", "HEALTH_CHECKS_DB": "true"},
			"liveness must not touch the database"},
		// Liveness off the database, but requests still queue without bound.
		"slow-database": {map[string]string{"HEALTH_CHECKS_DB": "false", "DB_POOL_WAIT": "request", "REQUEST_TIMEOUT": "60s"},
			"bound the wait"},
		// The connector's limit raised, the fd limit left: nothing more is served.
		"max-connections": {map[string]string{lab.KeyNoFile: "128", "MAX_CONNS": "4096"}, "MAX_CONNS alone cannot serve past the fd limit"},
		// 3 × 7 = 21 connections, still more than max_connections 20.
		"pg-max-connections": {map[string]string{"DB_MAX_CONNS": "7", "DB_MIN_CONNS": "2"}, "3 × DB_MAX_CONNS must stay"},
	}
	for _, name := range lab.QuickCaseNames() {
		t.Run(name, func(t *testing.T) {
			c, _ := lab.Lookup(name)
			dir := t.TempDir()
			brokenFile := filepath.Join(dir, name+".env")
			if code, out, errOut := runLab(t, "", "init", name, "-o", brokenFile); code != cli.ExitOK {
				t.Fatalf("lab init: exit %d\n%s%s", code, out, errOut)
			}
			write := func(file string, s map[string]string) string {
				var b strings.Builder
				if err := lab.WriteSettings(&b, c, s, file); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, file)
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return path
			}
			w, ok := wrong[name]
			if !ok {
				t.Fatalf("no wrong fix for %s", name)
			}
			kept := filepath.Join(dir, "broken-runs")
			stillKept := false // whether the last verification left its run kept
			for i, tt := range []struct {
				what     string
				file     string
				wantCode int
				want     string
			}{
				{"the shipped broken settings", brokenFile, cli.ExitFailure, ""},
				{"the reference solution", write("solution.env", c.Exercise.Solution), cli.ExitOK, ""},
				{"a wrong fix", write("wrong.env", w.settings), cli.ExitFailure, w.hint},
			} {
				code, out, errOut := runLab(t, "", "verify", name, "--settings", tt.file, "--quick", "--binary", bin, "--broken-runs", kept)
				stillKept = checkKept(t, tt.what, i > 0 && stillKept, errOut)
				lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
				last := lines[len(lines)-1]
				t.Logf("%s:\n%s", tt.what, out)
				if code != tt.wantCode {
					t.Errorf("%s: got exit %d, want %d\n%s\n%s", tt.what, code, tt.wantCode, out, errOut)
				}
				if !strings.HasSuffix(last, " failed") || !strings.Contains(last, " passed, ") {
					t.Errorf("%s: last line %q, want \"N passed, N failed\"", tt.what, last)
				}
				if (tt.wantCode == cli.ExitOK) != strings.HasSuffix(last, ", 0 failed") {
					t.Errorf("%s: exit %d disagrees with %q", tt.what, code, last)
				}
				if tt.want != "" && (!strings.Contains(out, "hint: ") || !strings.Contains(out, tt.want)) {
					t.Errorf("%s: the output lacks the hint %q", tt.what, tt.want)
				}
			}
		})
	}
}

// checkKept fails unless the progress errOut says the broken run was
// reused (reused) or made and kept, and reports whether it is still kept:
// a run that did not show the incident is not.
func checkKept(t *testing.T, what string, reused bool, errOut string) bool {
	t.Helper()
	want := "kept in "
	if reused {
		want = "reusing the run kept in "
	}
	if !strings.Contains(errOut, want) || reused == strings.Contains(errOut, "for the next verification") {
		t.Errorf("%s: the progress does not say %q:\n%s", what, want, errOut)
	}
	return !strings.Contains(errOut, "so the run is no longer kept")
}
