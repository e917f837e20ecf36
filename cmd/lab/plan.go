package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// verifyPlan is lab verify NAME --plan DIR: the student's plan built, run
// beside the handout's against the lab's API, and judged.
func verifyPlan(ctx context.Context, r *lab.Runner, name, dir string, asJSON bool, stdout, stderr io.Writer) int {
	e, ok := lab.LookupPlanExercise(name)
	if !ok {
		fmt.Fprintf(stderr, "lab verify: %s has no plan to verify: its fix is in settings (lab verify %s --settings FILE); plan exercises: %s\n",
			name, name, strings.Join(lab.PlanExerciseNames(), ", "))
		return cli.ExitUsage
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "lab verify: --plan %s: not a directory (the plan is in %s)\n", dir, e.Dir())
		return cli.ExitUsage
	}
	v, err := r.VerifyPlan(ctx, e, dir)
	if err != nil {
		// A plan that does not build fails here, with the compiler's output.
		return verifyError(stderr, err)
	}
	return printVerification(stdout, stderr, v, asJSON, fmt.Sprintf("%s, your plan in %s:", e.Name, dir))
}

// initPlan is lab init NAME for a plan exercise: the handout's plan
// written to DIR/main.go (default exercises/NAME), to start again from.
func initPlan(e lab.PlanExercise, dir string, force bool, stdout, stderr io.Writer) int {
	if dir == "" {
		dir = e.Dir()
	}
	path := filepath.Join(dir, "main.go")
	if _, err := os.Stat(path); err == nil && !force {
		fmt.Fprintf(stderr, "lab init: %s exists; -f overwrites it with the handout's plan\n", path)
		return cli.ExitUsage
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "lab init: %v\n", err)
		return cli.ExitFailure
	}
	if err := os.WriteFile(path, e.Handout(), 0o644); err != nil {
		fmt.Fprintf(stderr, "lab init: %v\n", err)
		return cli.ExitFailure
	}
	fmt.Fprintf(stdout, "wrote %s (the handout's plan); then: lab verify %s --plan %s\n", path, e.Name, dir)
	return cli.ExitOK
}
