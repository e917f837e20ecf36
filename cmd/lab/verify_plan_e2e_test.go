//go:build e2e

package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// TestVerifyPlanExercises runs lab verify --plan as a student would, for
// every plan exercise, three times at the quick sizes: the handout's plan
// (exercises/NAME) fails, the reference solution passes, and a known wrong
// fix fails with its hint. The handout's run of the first verification is
// kept (--broken-runs) and judges the other two.
func TestVerifyPlanExercises(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "taskoverflow")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/taskoverflow").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	wrong := map[string]struct {
		dir  string
		hint string
	}{
		// The POST's check fixed, the id still read from the response object.
		"planners-and-studiers": {"testdata/plans/planners-post-only", "the planners still delete /api/v1/todos/undefined"},
		// An arrival-rate executor, at half the target rate.
		"generator-bottleneck": {"testdata/plans/generator-rate-lowered", "a fix that lowers the rate measures another load"},
		// A threshold on latency alone, which requests that fail fast pass.
		"no-thresholds": {"testdata/plans/no-thresholds-latency-only", "no threshold on the checks"},
	}
	for _, name := range lab.PlanExerciseNames() {
		t.Run(name, func(t *testing.T) {
			e, _ := lab.LookupPlanExercise(name)
			w, ok := wrong[name]
			if !ok {
				t.Fatalf("no wrong fix for %s", name)
			}
			kept := t.TempDir()
			stillKept := false // whether the last verification left its run kept
			for i, tt := range []struct {
				what     string
				dir      string
				wantCode int
				want     string
			}{
				{"the handout's plan", filepath.Join("../..", e.Dir()), cli.ExitFailure, ""},
				{"the reference solution", filepath.Join("../../lab/plans", name, "solution"), cli.ExitOK, ""},
				{"a wrong fix", w.dir, cli.ExitFailure, w.hint},
			} {
				start := time.Now()
				code, out, errOut := runLab(t, "", "verify", name, "--plan", tt.dir, "--quick", "--binary", bin, "--broken-runs", kept)
				stillKept = checkKept(t, tt.what, i > 0 && stillKept, errOut)
				lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
				last := lines[len(lines)-1]
				t.Logf("%s, in %s:\n%s", tt.what, time.Since(start).Round(time.Second), out)
				if code != tt.wantCode {
					t.Errorf("%s: got exit %d, want %d\n%s\n%s", tt.what, code, tt.wantCode, out, errOut)
				}
				if !strings.HasSuffix(last, " failed") || !strings.Contains(last, " passed, ") {
					t.Errorf("%s: last line %q, want \"N passed, N failed\"", tt.what, last)
				}
				if (tt.wantCode == cli.ExitOK) != strings.HasSuffix(last, ", 0 failed") {
					t.Errorf("%s: exit %d disagrees with %q", tt.what, code, last)
				}
				// Every symptom of the handout's run showed: what yours is
				// compared with is the incident.
				for _, l := range lines {
					if strings.HasPrefix(l, "FAIL handout") {
						t.Errorf("%s: the handout's run did not show the problem: %s", tt.what, l)
					}
				}
				if tt.want != "" && (!strings.Contains(out, "hint: ") || !strings.Contains(out, tt.want)) {
					t.Errorf("%s: the output lacks the hint %q", tt.what, tt.want)
				}
			}
		})
	}
}
