package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/childproc"
)

// needTerraform skips the test when terraform is not installed, except in CI where it must be.
func needTerraform(t *testing.T) {
	t.Helper()
	if _, err := lookPath("terraform", os.Getenv("PATH")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("terraform not in PATH")
		}
		t.Skip("terraform not in PATH")
	}
}

// fixture copies testdata/fixture into a temporary directory, so state never lands in the
// repository, and returns the directory.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "fixture", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// environ is a hermetic environment: the real PATH (for terraform), an empty HOME and the
// given extra NAME=value pairs.
func environ(t *testing.T, extra ...string) []string {
	t.Helper()
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "CHECKPOINT_DISABLE=1"}, extra...)
}

// fakeCredentials are environment credentials that pass the check; nothing in these tests
// talks to AWS.
var fakeCredentials = []string{"AWS_ACCESS_KEY_ID=AKIAFIXTURE", "AWS_SECRET_ACCESS_KEY=fixture-secret"}

// syncBuffer is safe for the concurrent writes of terraform's output pipes.
type syncBuffer = childproc.Output

// result is what one run printed and returned.
type result struct {
	err            error
	stdout, stderr string
}

// deploy runs the command line args with environment env and stdin, bounded by one minute.
func deploy(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr syncBuffer
	err := run(ctx, args, env, strings.NewReader(stdin), &stdout, &stderr)
	return result{err, stdout.String(), stderr.String()}
}

// healthServer answers /api/v1/health with 503 for the first `failures` requests, then 200
// {"status":"ok"}. It counts the requests.
func healthServer(t *testing.T, failures int64) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/health" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) <= failures {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":"starting"}`)
			return
		}
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // part of the error
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"deploy"}, `unknown command "deploy"`},
		{"unknown flag", []string{"up", "-bogus"}, "flag provided but not defined: -bogus"},
		{"var without value", []string{"up", "-var", "task_cpu"}, `want name=value, got "task_cpu"`},
		{"stray argument", []string{"down", "now"}, `unexpected argument "now"`},
		{"zero health timeout", []string{"up", "-health-timeout", "0s"}, "-health-timeout and -health-interval must be above zero"},
		{"zero validate timeout", []string{"validate", "-timeout", "0s"}, "-timeout must be above zero"},
		// -y only makes sense where something is confirmed.
		{"yes on output", []string{"output", "-y"}, "flag provided but not defined: -y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := deploy(t, environ(t), "", tt.args...)
			var msg bytes.Buffer
			if code := exitCode(r.err, &msg); code != 2 {
				t.Fatalf("exit code: got %d (%v), want 2", code, r.err)
			}
			if !strings.Contains(msg.String(), tt.want) {
				t.Errorf("message: got %q, want it to contain %q", msg.String(), tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	r := deploy(t, environ(t), "", "help")
	if r.err != nil {
		t.Fatalf("help: got error %v, want none", r.err)
	}
	for _, cmd := range []string{"up", "output", "down", "validate"} {
		if !strings.Contains(r.stdout, "  "+cmd+" ") {
			t.Errorf("help: want command %s listed, got:\n%s", cmd, r.stdout)
		}
	}
}

// TestMissingPrerequisites: with nothing installed, up names every missing piece at once.
func TestMissingPrerequisites(t *testing.T) {
	r := deploy(t, []string{"PATH=" + t.TempDir(), "HOME=" + t.TempDir()}, "", "up", "-dir", fixture(t))
	var msg bytes.Buffer
	if code := exitCode(r.err, &msg); code != 1 {
		t.Fatalf("exit code: got %d (%v), want 1", code, r.err)
	}
	for _, want := range []string{
		"up: step check: missing prerequisites:",
		"terraform: not in PATH",
		"docker: not in PATH",
		"aws: the AWS CLI is not in PATH",
		"AWS credentials: none found",
	} {
		if !strings.Contains(msg.String(), want) {
			t.Errorf("got %q, want it to contain %q", msg.String(), want)
		}
	}
}

// TestDockerWithoutDaemon: a docker CLI that reaches no daemon is named as such.
func TestDockerWithoutDaemon(t *testing.T) {
	bin := t.TempDir()
	writeScript(t, bin, "docker", `echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1`)
	writeScript(t, bin, "aws", `exit 0`)
	r := deploy(t, append([]string{"PATH=" + bin, "HOME=" + t.TempDir()}, fakeCredentials...), "", "up", "-dir", fixture(t))
	if r.err == nil {
		t.Fatal("up: got no error, want the missing daemon reported")
	}
	want := "reaches no Docker daemon: Cannot connect to the Docker daemon"
	if !strings.Contains(r.err.Error(), want) {
		t.Errorf("got %q, want it to contain %q", r.err, want)
	}
	if strings.Contains(r.err.Error(), "aws:") || strings.Contains(r.err.Error(), "AWS credentials") {
		t.Errorf("got %q, want only what is missing named", r.err)
	}
}

// writeScript writes an executable shell script named name into dir.
func writeScript(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestUpOutputDown drives the whole life of a deployment through terraform for real, against
// the fixture configuration, with a loopback server standing in for the load balancer.
func TestUpOutputDown(t *testing.T) {
	needTerraform(t)
	dir := fixture(t)
	srv, calls := healthServer(t, 2)
	endpointFile := filepath.Join(t.TempDir(), ".endpoint")
	env := environ(t, fakeCredentials...)

	up := deploy(t, env, "", "up", "-y", "-skip-image", "-dir", dir, "-var", "endpoint="+srv.URL,
		"-endpoint-file", endpointFile, "-health-interval", "10ms", "-health-timeout", "30s")
	if up.err != nil {
		t.Fatalf("up: %v\nstdout:\n%s\nstderr:\n%s", up.err, up.stdout, up.stderr)
	}
	if !strings.Contains(up.stdout, "\nENDPOINT="+srv.URL+"\n") {
		t.Errorf("up stdout: want a line ENDPOINT=%s, got:\n%s", srv.URL, up.stdout)
	}
	if got := readEndpoint(t, endpointFile); got != srv.URL+"\n" {
		t.Errorf("%s: got %q, want %q", endpointFile, got, srv.URL+"\n")
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("health requests: got %d, want 3 (two 503s, then 200)", got)
	}
	checkSteps(t, up.stdout, "check", "init", "confirm", "apply", "endpoint", "health")
	if strings.Contains(up.stdout+up.stderr, "fixture-secret") {
		t.Error("up printed the AWS secret key")
	}

	out := deploy(t, env, "", "output", "-dir", dir)
	if out.err != nil {
		t.Fatalf("output: %v\n%s", out.err, out.stderr)
	}
	for _, want := range []string{
		"endpoint = " + srv.URL + "\n",
		"log_group = /ecs/fixture\n",
		"region = fixture-region\n",
		// Without -skip-image's image the default, <repository>:latest, runs.
		"image = 123456789012.dkr.ecr.fixture-region.amazonaws.com/taskoverflow:latest\n",
	} {
		if !strings.Contains(out.stdout, want) {
			t.Errorf("output: want %q, got:\n%s", want, out.stdout)
		}
	}

	down := deploy(t, env, "", "down", "-y", "-dir", dir, "-endpoint-file", endpointFile)
	if down.err != nil {
		t.Fatalf("down: %v\n%s", down.err, down.stderr)
	}
	if _, err := os.Stat(endpointFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after down: got %v, want it removed", endpointFile, err)
	}
	after := deploy(t, env, "", "output", "-dir", dir)
	if after.err != nil || !strings.Contains(after.stdout, "no outputs") {
		t.Errorf("output after down: got %v and\n%s\nwant no outputs", after.err, after.stdout)
	}
}

// checkSteps fails unless the "==> step" lines appear in this order.
func checkSteps(t *testing.T, stdout string, steps ...string) {
	t.Helper()
	var got []string
	for _, line := range strings.Split(stdout, "\n") {
		if s, ok := strings.CutPrefix(line, "==> "); ok {
			got = append(got, s)
		}
	}
	if strings.Join(got, ",") != strings.Join(steps, ",") {
		t.Errorf("steps: got %v, want %v", got, steps)
	}
}

func readEndpoint(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestUpConfirmation: up applies nothing unless the user says yes.
func TestUpConfirmation(t *testing.T) {
	needTerraform(t)
	tests := []struct {
		name    string
		stdin   string
		wantErr string // "" when up goes ahead
	}{
		{"no", "n\n", "step confirm: not confirmed"},
		// A closed stdin, as in CI without -y, is not a yes.
		{"no answer", "", "step confirm: not confirmed: no answer (pass -y"},
		{"yes", "yes\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			srv, _ := healthServer(t, 0)
			env := environ(t, fakeCredentials...)
			r := deploy(t, env, tt.stdin, "up", "-skip-image", "-dir", dir, "-var", "endpoint="+srv.URL,
				"-endpoint-file", filepath.Join(t.TempDir(), ".endpoint"), "-health-interval", "10ms")
			if !strings.Contains(r.stderr, "cost money") {
				t.Errorf("stderr: want the question naming the cost, got %q", r.stderr)
			}
			out := deploy(t, env, "", "output", "-dir", dir)
			if tt.wantErr == "" {
				if r.err != nil {
					t.Fatalf("up: got %v, want it to go ahead", r.err)
				}
				if !strings.Contains(out.stdout, "endpoint = "+srv.URL) {
					t.Errorf("output: got\n%s\nwant the endpoint", out.stdout)
				}
				return
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
				t.Fatalf("up: got error %v, want %q", r.err, tt.wantErr)
			}
			if !strings.Contains(out.stdout, "no outputs") {
				t.Errorf("output after a refusal: got\n%s\nwant nothing applied", out.stdout)
			}
		})
	}
}

// TestUpHealthTimeout: an endpoint that never becomes healthy fails the health step, with the
// last answer and where the logs are, and the endpoint is still written for inspection.
func TestUpHealthTimeout(t *testing.T) {
	needTerraform(t)
	srv, _ := healthServer(t, 1<<30)
	endpointFile := filepath.Join(t.TempDir(), ".endpoint")
	r := deploy(t, environ(t, fakeCredentials...), "", "up", "-y", "-skip-image", "-dir", fixture(t),
		"-var", "endpoint="+srv.URL, "-endpoint-file", endpointFile,
		"-health-interval", "10ms", "-health-timeout", "300ms")
	if r.err == nil {
		t.Fatal("up: got no error, want the health step to fail")
	}
	for _, want := range []string{"up: step health:", "did not answer 200 within 300ms", "last answer: 503 Service Unavailable", "/ecs/fixture"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error: got %q, want it to contain %q", r.err, want)
		}
	}
	if got := readEndpoint(t, endpointFile); got != srv.URL+"\n" {
		t.Errorf("%s: got %q, want %q", endpointFile, got, srv.URL+"\n")
	}
	if strings.Contains(r.stdout, "ENDPOINT=") {
		t.Errorf("stdout: got an ENDPOINT= line for an unhealthy deployment:\n%s", r.stdout)
	}
}

// watchWriter calls found once when the text written to it contains want.
type watchWriter struct {
	childproc.Output
	want  string
	once  sync.Once
	found func()
}

func (w *watchWriter) Write(p []byte) (int, error) {
	n, err := w.Output.Write(p)
	if strings.Contains(w.String(), w.want) {
		w.once.Do(w.found)
	}
	return n, err
}

// TestUpInterrupted: cancelling during apply stops terraform gracefully; the state is left
// unlocked and usable, so down then works.
func TestUpInterrupted(t *testing.T) {
	needTerraform(t)
	dir := fixture(t)
	env := environ(t, fakeCredentials...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	interrupt, stop := context.WithCancel(ctx)
	defer stop()
	// The service takes 60s to create; the interrupt comes as soon as it starts.
	stdout := &watchWriter{want: "Executing: ", found: stop}
	var stderr syncBuffer
	err := run(interrupt, []string{"up", "-y", "-skip-image", "-dir", dir, "-var", "apply_delay=60",
		"-endpoint-file", filepath.Join(t.TempDir(), ".endpoint")}, env, strings.NewReader(""), stdout, &stderr)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "up: step apply: interrupted") {
		t.Fatalf("up: got %v, want step apply interrupted\nstdout:\n%s", err, stdout.String())
	}
	if ctx.Err() != nil {
		t.Fatal("up outlived its one-minute bound instead of stopping on the interrupt")
	}
	down := deploy(t, env, "", "down", "-y", "-dir", dir, "-endpoint-file", filepath.Join(t.TempDir(), ".endpoint"))
	if down.err != nil {
		t.Fatalf("down after an interrupted up: %v\n%s", down.err, down.stderr)
	}
}

// closedPort returns a loopback URL on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/.well-known/terraform.json"
}

func TestValidate(t *testing.T) {
	needTerraform(t)
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"providers.v1":"/v1/providers/"}`)
	}))
	defer registry.Close()
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "main.tf"), []byte("output \"x\" {\n  value = var.missing\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		dir      string
		registry string
		wantErr  string // "" for success
		wantOut  string
	}{
		// Here, where the registry is unreachable: said plainly, and not a failure.
		{"registry unreachable", fixture(t), closedPort(t), "", "NOT RUN: terraform validate was not run here"},
		{"valid", fixture(t), registry.URL, "", "the configuration is valid"},
		{"invalid", broken, registry.URL, "validate: step validate: the configuration is not valid (1 errors)", "Reference to undeclared input variable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := deploy(t, environ(t), "", "validate", "-dir", tt.dir, "-registry", tt.registry, "-timeout", "50s")
			switch {
			case tt.wantErr == "" && r.err != nil:
				t.Fatalf("validate: got error %v, want none\n%s", r.err, r.stderr)
			case tt.wantErr != "" && (r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr)):
				t.Fatalf("validate: got error %v, want %q", r.err, tt.wantErr)
			}
			if !strings.Contains(r.stdout, tt.wantOut) {
				t.Errorf("stdout: want %q, got:\n%s", tt.wantOut, r.stdout)
			}
		})
	}
}
