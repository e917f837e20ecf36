package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// root is the repository's root, where the README and the Makefile are.
const root = "../.."

// The files the README has people create in the repository's root are
// git-ignored, and so are the build, release and data folders.
func TestReadmeFilesAreGitIgnored(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed to check .gitignore")
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI runs in a git checkout, but %s has no .git: %v", root, err)
		}
		t.Skip("not a git checkout: a source archive has no .gitignore to obey; CI runs this test")
	}
	paths := []string{"jar", "server.log", "api.log", "summary.json", "a.json", "all.json", "report.html",
		"out.png", "bin/loadtest", "dist/x.tar.gz", ".data/postgres/PG_VERSION", "lab-results/x/verdict.json", ".endpoint"}
	cmd := exec.Command("git", append([]string{"check-ignore", "--no-index", "-v"}, paths...)...)
	cmd.Dir = root
	out, _ := cmd.Output() // exits 1 when some path is not ignored
	for _, p := range paths {
		if !regexp.MustCompile(`(?m)\t` + regexp.QuoteMeta(p) + `$`).Match(out) {
			t.Errorf("%s is not git-ignored (git check-ignore -v said:\n%s)", p, out)
		}
	}
}

// make loadtest runs the built binary and says the tool's own exit status
// before make's: 3 for a closed port, 99 for crossed thresholds.
func TestMakeLoadtestSaysTheToolsExitStatus(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed for the README's commands")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	srv, _ := statusServer(t, 200) // every check of smoke fails on a server that says 200 {"status":"ok"}

	bin := filepath.Join(t.TempDir(), "loadtest")
	cases := []struct {
		name, endpoint, want string
	}{
		{"closed port", closed, "loadtest exited 3 (no request reached the server)"},
		{"thresholds crossed", srv.URL, "loadtest exited 99 (thresholds crossed)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "make", "-s", "-C", root, "loadtest", "SCENARIO=smoke",
				"ENDPOINT="+tc.endpoint, "LOADTEST_FLAGS=--quiet", "LOADTEST_BIN="+bin)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Errorf("make: got %v, want make's exit status 2", err)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			// The tool's status comes just before make's own line.
			if len(lines) < 2 || lines[len(lines)-2] != tc.want || !strings.Contains(lines[len(lines)-1], "Error 3") && !strings.Contains(lines[len(lines)-1], "Error 99") {
				t.Errorf("stderr does not end with %q and make's error; got:\n%s", tc.want, stderr.String())
			}
		})
	}
}

// The README's first screen has the two commands, the practical's steps and
// where to look next; its links and the docs' links lead somewhere.
func TestReadmeFirstScreen(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(readme), "\n")
	first := strings.Join(lines[:min(len(lines), 50)], "\n")
	for _, want := range []string{
		"make run ", "make test ", "the first run takes", "api.log",
		"./bin/loadtest run planners-and-studiers --variant practical",
		"## Where to look next", "docs/practical.md", "docs/loadtest.md", "docs/lab.md",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("the README's first 50 lines lack %q", want)
		}
	}
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), m[1])); err != nil {
				t.Errorf("%s links to %s, which does not exist", filepath.Base(f), m[1])
			}
		}
		// The handout's API is the course code: it answered 404 to
		// DELETE /todos/undefined, as this API does.
		if strings.Contains(string(b), "answered 200 to") {
			t.Errorf("%s says the handout's API answered 200 to DELETE /todos/undefined", filepath.Base(f))
		}
	}
}
