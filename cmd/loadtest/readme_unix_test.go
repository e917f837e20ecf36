//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The practical's step 3 as the README writes it: LOG_LEVEL=debug make run
// writes api.log, and grepping it for a request id finds that request's
// lines, SQL included.
func TestMakeRunWritesApiLog(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test starts Postgres, Redis and the server through make run; make test runs it")
	}
	dir := t.TempDir()
	// Postgres runs as the postgres user when the tests run as root: it
	// must reach the data folder.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	apiLog := filepath.Join(dir, "api.log")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-s", "-C", root, "run", "DATA="+filepath.Join(dir, "data"), "API_LOG="+apiLog)
	cmd.Env = append(os.Environ(), "LOG_LEVEL=debug", "ADDR=127.0.0.1:0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches make, the server and tee
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(time.Minute):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	t.Cleanup(stop)

	addrRe := regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	var addr string
	for addr == "" {
		select {
		case <-done:
			b, _ := os.ReadFile(apiLog)
			t.Fatalf("make run ended (%v) before the server listened; api.log:\n%s", waitErr, b)
		case <-ctx.Done():
			b, _ := os.ReadFile(apiLog)
			t.Fatalf("the server did not say where it listens in api.log:\n%s", b)
		case <-time.After(200 * time.Millisecond):
		}
		b, _ := os.ReadFile(apiLog)
		if m := addrRe.FindSubmatch(b); m != nil {
			addr = string(m[1])
		}
	}
	code, stdout, stderr := runCLI(t, ctx, nil, "run", "smoke", "--endpoint", "http://"+addr, "--quiet")
	if code != exitOK {
		t.Fatalf("smoke against make run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	m := regexp.MustCompile(`request_id=([0-9a-f-]{36})`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("the summary names no request id:\n%s", stdout)
	}
	stop() // the last lines reach api.log while the server shuts down
	f, err := os.Open(apiLog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), m[1]) {
			lines = append(lines, sc.Text())
		}
	}
	joined := strings.Join(lines, "\n")
	if !strings.Contains(joined, `"msg":"request finished"`) || !strings.Contains(joined, `"sql"`) {
		t.Errorf("grep %s api.log: got %d lines, want the request's lines with its SQL:\n%s", m[1], len(lines), joined)
	}
	b, _ := os.ReadFile(apiLog)
	if !bytes.Contains(b, []byte(`"msg":"stopped"`)) {
		t.Errorf("api.log lacks the server's last line (stopped): tee must outlive Ctrl-C")
	}
}
