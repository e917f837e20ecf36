package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// build compiles the example as its user would.
func build(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "todolist")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// exitCode runs bin with args and returns its exit status and output.
func exitCode(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = []string{"TERM=dumb"}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("run %s: %v", bin, err)
	return 0, "", ""
}

func TestExamplePlanExitsOnItsThresholds(t *testing.T) {
	bin := build(t)
	status := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/v1/todos" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(code)
			w.Write([]byte("[]"))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	cases := []struct {
		name     string
		args     []string
		want     int
		inStderr string
	}{
		{"a server that answers holds the thresholds", []string{"--endpoint", status(200)}, 0, "running todolist"},
		{"a failing server crosses checks>0.99", []string{"--endpoint", status(503)}, 99, "thresholds crossed: checks>0.99"},
		{"a threshold of the command line is judged too", []string{"--endpoint", status(200), "--threshold", "http_reqs<1"}, 99, "thresholds crossed: http_reqs<1"},
		{"no endpoint is a usage error", nil, 2, "no endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--time-scale", "0.02", "--quiet"}, tc.args...)
			code, stdout, stderr := exitCode(t, bin, args...)
			if code != tc.want {
				t.Errorf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.inStderr, stderr)
			}
			if tc.want != 2 && !strings.Contains(stdout, "checks") {
				t.Errorf("no summary on stdout:\n%s", stdout)
			}
		})
	}
}
