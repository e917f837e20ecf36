//go:build e2e

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// The quick lab through the command line, as make lab-quick runs it.
func TestRunQuickCase(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runLab(t, "", "run", "--quick", "--out", out, "max-connections")
	if code != cli.ExitOK {
		t.Fatalf("got exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "ok   max-connections") || !strings.Contains(stdout, "REPRODUCED and CLEARED") {
		t.Errorf("output lacks the verdict:\n%s", stdout)
	}
	index, _ := filepath.Glob(filepath.Join(out, "*", "index.md"))
	html, _ := filepath.Glob(filepath.Join(out, "*", "max-connections", "report.html"))
	if len(index) != 1 || len(html) != 1 {
		t.Errorf("got index %v and report %v, want one of each", index, html)
	}
}
