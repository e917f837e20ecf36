package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// lab init writes the broken settings, refuses to overwrite them without -f,
// and lab verify refuses a settings file it cannot read before running anything.
func TestInitAndVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if code, out, errOut := runLab(t, "", "init", "pg-max-connections"); code != cli.ExitOK || !strings.Contains(out, "wrote pg-max-connections.env") {
		t.Fatalf("lab init: exit %d %q %q", code, out, errOut)
	}
	f, err := os.Open("pg-max-connections.env")
	if err != nil {
		t.Fatal(err)
	}
	got, err := lab.ParseSettings(f)
	f.Close()
	c, _ := lab.Lookup("pg-max-connections")
	if err != nil || got["DB_MAX_CONNS"] != c.Broken.API["DB_MAX_CONNS"] {
		t.Fatalf("read back %v, %v; want the broken settings %v", got, err, c.BrokenSettings())
	}
	bad := filepath.Join(dir, "bad.env")
	os.WriteFile(bad, []byte("# mine\nDB_MAX_CONNS=5\nDB_MAX_CONS=5\n"), 0o644)
	malformed := filepath.Join(dir, "malformed.env")
	os.WriteFile(malformed, []byte("DB_MAX_CONNS 5\n"), 0o644)

	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"init over a file", []string{"init", "pg-max-connections"}, cli.ExitUsage, "exists; -f overwrites it"},
		{"init two cases", []string{"init", "pg-max-connections", "max-connections"}, cli.ExitUsage, "name one case"},
		// A case whose fix is in its load plan: init writes the handout's plan.
		{"init the script case", []string{"init", "planners-and-studiers"}, cli.ExitOK, ""},
		{"init the script case again", []string{"init", "planners-and-studiers"}, cli.ExitUsage, "-f overwrites it with the handout's plan"},
		{"verify without --settings", []string{"verify", "pg-max-connections"}, cli.ExitUsage, "--settings FILE is required"},
		{"verify an unknown case", []string{"verify", "nope", "--settings", bad}, cli.ExitUsage, "no case nope"},
		{"verify an unknown key", []string{"verify", "pg-max-connections", "--settings", bad}, cli.ExitUsage, "line 3: unknown setting DB_MAX_CONS"},
		{"verify a malformed line", []string{"verify", "pg-max-connections", "--settings", malformed}, cli.ExitUsage, "line 1: not KEY=value"},
		{"verify a missing file", []string{"verify", "pg-max-connections", "--settings", "none.env"}, cli.ExitUsage, "none.env"},
		{"verify the script case", []string{"verify", "planners-and-studiers", "--settings", bad}, cli.ExitUsage, "fix is in its load plan: --plan DIR is required"},
	}
	for _, tt := range tests {
		code, _, errOut := runLab(t, "", tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: got exit %d %q, want %d with %q", tt.name, code, errOut, tt.code, tt.want)
		}
	}
	if code, _, errOut := runLab(t, "", "init", "pg-max-connections", "-f", "-o", "other.env"); code != cli.ExitOK {
		t.Errorf("init -f -o: exit %d %q", code, errOut)
	}
	if code, _, errOut := runLab(t, "", "init", "-f", "pg-max-connections"); code != cli.ExitOK {
		t.Errorf("init -f over the file: exit %d %q", code, errOut)
	}
}

// --broken-runs names a directory; a run kept there that this verification
// cannot judge against is refused before anything runs, naming the file.
func TestVerifyBrokenRunsRefused(t *testing.T) {
	dir := t.TempDir()
	settings := filepath.Join(dir, "pg-max-connections.env")
	if code, out, errOut := runLab(t, "", "init", "pg-max-connections", "-o", settings); code != cli.ExitOK {
		t.Fatalf("lab init: exit %d\n%s%s", code, out, errOut)
	}
	notDir := filepath.Join(dir, "file")
	kept := filepath.Join(dir, "broken-runs")
	for _, f := range []string{notDir, filepath.Join(kept, "pg-max-connections.quick.json")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("DB_MAX_CONNS=10\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		dir, want string
	}{
		{notDir, "--broken-runs " + notDir + ": not a directory"},
		{kept, filepath.Join(kept, "pg-max-connections.quick.json") + ": not a broken run lab verify kept"},
	} {
		code, out, errOut := runLab(t, "", "verify", "pg-max-connections", "--settings", settings, "--quick", "--broken-runs", tt.dir)
		if code != cli.ExitUsage || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("--broken-runs %s: exit %d, stdout %q, stderr %q; want exit 2 saying %q", tt.dir, code, out, errOut, tt.want)
		}
	}
}
