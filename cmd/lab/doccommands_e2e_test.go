//go:build e2e

package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// closingLine is lab verify's last line.
var closingLine = regexp.MustCompile(`(?m)^\d+ passed, \d+ failed$`)

// TestDocCommandsQuick runs the quick lab commands of every workbook page
// and of the teacher's guide as written, in a scratch directory where the
// page's own lab init commands ran first (so that the settings files they
// name exist), with --binary added so that the lab does not build the
// server in a directory that has no source. lab run must reproduce and
// clear its case (exit 0); lab verify must judge (exit 0 or 1, never a
// usage error) and print its closing line. A page's commands other than
// the quick ones are TestWorkbookCommandsRun's.
//
// A quick verify of the shipped start (`verify NAME --settings NAME.env
// --quick` after the page's `lab init NAME`, or `verify NAME --plan
// exercises/NAME --quick`) is the first of the three runs that
// TestVerifyQuickCases or TestVerifyPlanExercises makes, with the same
// flags: this test checks that the page's command has that shape and that
// NAME is one of theirs, and leaves the run to them (each takes half a
// minute).
func TestDocCommandsQuick(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "taskoverflow")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/taskoverflow").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	byPage := map[string][]docCommand{}
	var pages []string
	for _, c := range docCommands(t) {
		if _, ok := byPage[c.page]; !ok {
			pages = append(pages, c.page)
		}
		byPage[c.page] = append(byPage[c.page], c)
	}
	ran := 0
	for _, page := range pages {
		var quick []docCommand
		for _, c := range byPage[page] {
			if c.pkg == "./cmd/lab" && c.quick() {
				quick = append(quick, c)
			}
		}
		if len(quick) == 0 {
			continue
		}
		t.Run(filepath.Base(page), func(t *testing.T) {
			t.Chdir(t.TempDir())
			for _, c := range byPage[page] {
				if c.pkg == "./cmd/lab" && c.args[0] == "init" {
					if code, out, errOut := runLab(t, "", c.args...); code != cli.ExitOK {
						t.Fatalf("%s: exit %d\n%s%s", c, code, out, errOut)
					}
				}
			}
			for _, c := range quick {
				if by, ok := runByVerifyTest(c.args); ok {
					t.Logf("%s: run as written by %s", c, by)
					ran++
					continue
				}
				start := time.Now()
				code, out, errOut := runLab(t, "", append(c.args, "--binary", bin)...)
				t.Logf("%s: exit %d in %s", c, code, time.Since(start).Round(time.Second))
				ran++
				switch c.args[0] {
				case "verify":
					if (code != cli.ExitOK && code != cli.ExitFailure) || !closingLine.MatchString(out) {
						t.Errorf("%s: exit %d, want a judgement ending in \"N passed, N failed\"\n%s%s", c, code, out, errOut)
					}
				default:
					if code != cli.ExitOK {
						t.Errorf("%s: exit %d\n%s%s", c, code, out, errOut)
					}
				}
			}
		})
	}
	if ran == 0 && !t.Failed() {
		t.Error("no quick command in the pages")
	}
}

// runByVerifyTest names the e2e test whose first run is the command args
// (a lab command line), when one is.
func runByVerifyTest(args []string) (string, bool) {
	if len(args) != 5 || args[0] != "verify" || args[4] != "--quick" {
		return "", false
	}
	name := args[1]
	switch {
	case args[2] == "--settings" && args[3] == name+".env" && slices.Contains(lab.QuickCaseNames(), name):
		return "TestVerifyQuickCases", true
	case args[2] == "--plan" && args[3] == "exercises/"+name && slices.Contains(lab.PlanExerciseNames(), name):
		return "TestVerifyPlanExercises", true
	}
	return "", false
}
