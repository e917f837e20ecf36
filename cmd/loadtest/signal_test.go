package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondSignalExitsAtOnce runs the real binary: the first SIGINT starts a
// graceful stop (iterations sleeping for minutes get 30 s to finish), the
// second ends the process at once.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "loadtest")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id": 1}`))
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "planners-and-studiers", "--endpoint", srv.URL, "--vus-scale", "0.01")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		t.Fatalf("the first signal ended the run at once (%v); want a graceful stop\n%s", err, stderr.String())
	case <-time.After(time.Second):
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
			t.Errorf("after the second signal: got %v, want death by SIGINT", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the second signal did not end the run\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "Ctrl-C stops gracefully") {
		t.Errorf("stderr does not explain the signals:\n%s", stderr.String())
	}
	// The first signal says at once what the stop waits for, then counts
	// down instead of printing progress lines of a run that is over.
	out := stderr.String()
	i := strings.Index(out, "stopping: waiting up to 30s for ")
	if i < 0 || !regexp.MustCompile(`stopping: waiting up to 30s for \d+ running iterations? \(Ctrl-C again to quit now\)`).MatchString(out) {
		t.Fatalf("stderr lacks the stopping line:\n%s", out)
	}
	if after := out[i:]; strings.Contains(after, "req/s") {
		t.Errorf("progress lines after the stop:\n%s", after)
	}

}
