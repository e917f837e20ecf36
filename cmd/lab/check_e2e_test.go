//go:build e2e

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// scratchCopy copies the module's files (tracked and new, not ignored) into a
// temporary directory, as a student's clone of the class repository.
func scratchCopy(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "-co", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dir := t.TempDir()
	for _, f := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		b, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeSettings writes settings for case name at path under dir.
func writeSettings(t *testing.T, dir, path, name string, settings map[string]string) {
	t.Helper()
	c, _ := lab.Lookup(name)
	var b bytes.Buffer
	if err := lab.WriteSettings(&b, c, settings, "a student's settings"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, path)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, path), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// countLine is a closing line alone on its line.
var countLine = regexp.MustCompile(`(?m)^\d+ passed, \d+ failed$`)

// TestMakeCheck runs make check in scratch copies of the repository: with
// no settings file it fails; with a solved exercise and an unsolved one
// (in settings/) it counts one of each and fails; with the solved one
// alone it passes. The last line is the count, alone.
func TestMakeCheck(t *testing.T) {
	mc, _ := lab.Lookup("max-connections")
	pg, _ := lab.Lookup("pg-max-connections")
	tests := []struct {
		name   string
		files  func(dir string)
		wantOK bool
		last   string
	}{
		{"no settings file", func(string) {}, false, "0 passed, 0 failed"},
		{"one solved, one not", func(dir string) {
			writeSettings(t, dir, "max-connections.env", mc.Name, mc.Exercise.Solution)
			writeSettings(t, dir, "settings/pg-max-connections.env", pg.Name, pg.BrokenSettings())
		}, false, "1 passed, 1 failed"},
		{"solved", func(dir string) {
			writeSettings(t, dir, "max-connections.env", mc.Name, mc.Exercise.Solution)
		}, true, "1 passed, 0 failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := scratchCopy(t)
			tt.files(dir)
			cmd := exec.Command("make", "--no-print-directory", "check")
			cmd.Dir = dir
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			// The last count line is make check's own (each verification
			// prints one before it); make's complaint about a failed recipe
			// may follow it.
			counts := countLine.FindAllString(out.String(), -1)
			last := ""
			if len(counts) > 0 {
				last = counts[len(counts)-1]
			}
			if last != tt.last {
				t.Errorf("got count %q, want %q\n%s", last, tt.last, out.String())
			}
			if (err == nil) != tt.wantOK {
				t.Errorf("got make's error %v, want ok %v\n%s", err, tt.wantOK, out.String())
			}
		})
	}
}
