package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// A plan that does not build is named with the compiler's output, before
// any run is made.
func TestVerifyPlanThatDoesNotBuild(t *testing.T) {
	code, out, errOut := runLab(t, "", "verify", "no-thresholds", "--plan", "testdata/plans/does-not-build", "--quick")
	if code != cli.ExitFailure {
		t.Errorf("exit %d, want %d\n%s%s", code, cli.ExitFailure, out, errOut)
	}
	for _, want := range []string{"does not build", "main.go:6", "cannot use"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestVerifyPlanUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"plan exercise without --plan", []string{"verify", "generator-bottleneck"}, "--plan DIR is required"},
		{"planners without --plan", []string{"verify", "planners-and-studiers", "--quick"}, "--plan DIR is required"},
		{"settings case with --plan", []string{"verify", "max-connections", "--plan", "."}, "its fix is in settings"},
		{"both", []string{"verify", "no-thresholds", "--plan", ".", "--settings", "x.env"}, "not both"},
		{"no such directory", []string{"verify", "no-thresholds", "--plan", "nope"}, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runLab(t, "", tt.args...)
			if code != cli.ExitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want usage with %q", code, errOut, tt.want)
			}
		})
	}
}

// lab init writes a plan exercise's handout, to start again from; it does
// not overwrite the student's plan without -f.
func TestInitPlan(t *testing.T) {
	e, _ := lab.LookupPlanExercise("no-thresholds")
	dir := filepath.Join(t.TempDir(), "mine")
	if code, out, errOut := runLab(t, "", "init", e.Name, "-o", dir); code != cli.ExitOK || !strings.Contains(out, "wrote") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "main.go"))
	if err != nil || string(b) != string(e.Handout()) {
		t.Errorf("wrote %d bytes (%v), want the handout's %d", len(b), err, len(e.Handout()))
	}
	if code, _, errOut := runLab(t, "", "init", e.Name, "-o", dir); code != cli.ExitUsage || !strings.Contains(errOut, "-f overwrites") {
		t.Errorf("again without -f: exit %d %q, want usage", code, errOut)
	}
	if code, _, errOut := runLab(t, "", "init", e.Name, "-o", dir, "-f"); code != cli.ExitOK {
		t.Errorf("again with -f: exit %d %q", code, errOut)
	}
}
