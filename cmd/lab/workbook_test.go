package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/docs/workbook"
	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// exerciseNames returns every case's name and every plan exercise's, sorted.
func exerciseNames() []string {
	return slices.Compact(slices.Sorted(slices.Values(append(lab.CaseNames(), lab.PlanExerciseNames()...))))
}

// Every case and plan exercise has an exercise page, every page a case or
// plan exercise, and lab workbook prints it as docs/workbook holds it.
func TestWorkbookCoversEveryCase(t *testing.T) {
	if got, want := workbook.Names(), exerciseNames(); !slices.Equal(got, want) {
		t.Errorf("exercises %v, want one per case and plan exercise %v", got, want)
	}
	for _, name := range exerciseNames() {
		text, ok := workbook.Exercise(name)
		if !ok {
			continue
		}
		for _, section := range []string{"## The story", "Source: ", "## What to look at", "## Questions", "<summary>Hint 1</summary>", "## Where the fix goes"} {
			if !strings.Contains(text, section) {
				t.Errorf("%s: the exercise lacks %q", name, section)
			}
		}
		c, _ := lab.Lookup(name)
		if !strings.Contains(text, "## Start") && c.Verifiable() {
			t.Errorf("%s: the exercise does not say how to start (lab init)", name)
		}
		code, out, errOut := runLab(t, "", "workbook", name)
		if code != cli.ExitOK || out != text {
			t.Errorf("lab workbook %s: exit %d, printed %d bytes of the %d in docs/workbook\n%s", name, code, len(out), len(text), errOut)
		}
	}
	if code, _, errOut := runLab(t, "", "workbook", "nope"); code != cli.ExitUsage || !strings.Contains(errOut, "no case nope") {
		t.Errorf("lab workbook nope: exit %d %q, want usage", code, errOut)
	}
}

// The teacher's guide has a section for every case.
func TestTeacherGuideCoversEveryCase(t *testing.T) {
	b, err := os.ReadFile("../../docs/teacher.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range exerciseNames() {
		if !strings.Contains(string(b), "\n### "+name+" ") {
			t.Errorf("docs/teacher.md has no section ### %s", name)
		}
	}
}
