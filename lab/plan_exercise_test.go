package lab

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// The file a student edits starts as the lab's copy of the handout, which
// lab verify runs beside it; each exercise has a reference solution that
// differs from it.
func TestPlanHandoutsAreTheExercises(t *testing.T) {
	for _, e := range PlanExercises() {
		b, err := os.ReadFile(filepath.Join("..", e.Dir(), "main.go"))
		if err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		if !bytes.Equal(b, e.Handout()) {
			t.Errorf("%s: %s/main.go differs from lab/plans/%s/handout/main.go: keep them the same", e.Name, e.Dir(), e.Name)
		}
		if len(e.Solution()) == 0 || bytes.Equal(e.Solution(), e.Handout()) {
			t.Errorf("%s: no reference solution, or the handout itself", e.Name)
		}
	}
}

func TestFlagValue(t *testing.T) {
	if v := flagValue([]string{"--timeout", "5s", "--time-scale", "0.25"}, "--time-scale", 1); v != 0.25 {
		t.Errorf("got %v, want 0.25", v)
	}
	if v := flagValue([]string{"--timeout", "5s"}, "--time-scale", 1); v != 1 {
		t.Errorf("got %v, want the default 1", v)
	}
}

// The shape of a run's scenarios: the same passes, another executor or
// VU count fails and says which.
func TestSameScenarios(t *testing.T) {
	run := func(executor string, vus int) *PlanRun {
		return &PlanRun{SetupRun: &SetupRun{Summary: summaryWithScenario(executor, vus)}}
	}
	if ch := sameScenarios(run("constant-vus", 10), run("constant-vus", 10)); !ch.Pass {
		t.Errorf("same scenarios: %+v", ch)
	}
	if ch := sameScenarios(run("constant-vus", 10), run("constant-vus", 5)); ch.Pass || ch.Measured != 2 || ch.Hint == "" {
		t.Errorf("fewer VUs: %+v, want a failure with a hint", ch)
	}
}

func summaryWithScenario(executor string, vus int) *metrics.Summary {
	return &metrics.Summary{Scenarios: []metrics.ScenarioInfo{{Name: "students", Executor: executor,
		Description: "10 looping VUs for 20s", MaxVUs: vus}}}
}
