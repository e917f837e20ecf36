package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck/testserver"
)

// connsResult is what one "loadtest conns" invocation printed and returned.
type connsResult struct {
	code           int
	stdout, stderr string
}

// connsRun calls runConns with args, a non-terminal stdin, and a bound on its duration.
func connsRun(t *testing.T, args ...string) connsResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := runConns(ctx, args, strings.NewReader(""), &stdout, &stderr)
	t.Logf("loadtest conns %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return connsResult{code, stdout.String(), stderr.String()}
}

func connsLimited(t *testing.T, k int) string {
	t.Helper()
	s, err := testserver.Limited(k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return strconv.Itoa(s.Port())
}

func connsStalled(t *testing.T, k int) string {
	t.Helper()
	s, err := testserver.StopAccepting(k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return strconv.Itoa(s.Port())
}

// Exit status and output against servers with a known limit.
func TestConnsAgainstLimits(t *testing.T) {
	limited := connsLimited(t, 30)
	stalled := connsStalled(t, 20)
	fast := []string{"-s", "1", "-i", "100ms", "--hold", "300ms"}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // lines or fragments the output must hold
	}{
		{
			// Below a listener limit of 30: everything established, exit 0.
			"below limit", append([]string{"-c", "10", "127.0.0.1", limited}, fast...), 0,
			[]string{
				"Total: 10, Dialing: 0, Established: 0, Closed: 0, Error: 0, NotInitiated: 10\n",
				"--- 127.0.0.1:" + limited + " tcp test statistics ---\nTotal: 10, Dialing: 0, Established: 10, Closed: 0, Error: 0, NotInitiated: 0\n",
				"Connect time stats for 10 established connections min/avg/max/dev = ",
			},
		},
		{
			// Above it: 30 held, 20 closed by the server, exit 1.
			"above limit", append([]string{"-c", "50", "127.0.0.1", limited}, fast...), 1,
			[]string{
				"Total: 50, Dialing: 0, Established: 30, Closed: 20, Error: 0, NotInitiated: 0\n",
				"Closed by peer: eof 20\n",
			},
		},
		{
			// A stalled accept loop passes the plain check...
			"stalled plain", append([]string{"-c", "40", "127.0.0.1", stalled}, fast...), 0,
			[]string{"Established: 40, Closed: 0, Error: 0, NotInitiated: 0\n"},
		},
		{
			// ...and fails with the probe; the progress lines carry the served count.
			"stalled probe", append([]string{"-c", "40", "--http", "/health", "127.0.0.1", stalled}, fast...), 1,
			[]string{
				"NotInitiated: 40, Served: 0\n",
				"Served: 0 of 40 connections answered GET /health\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := connsRun(t, tt.args...)
			if got.code != tt.wantCode {
				t.Errorf("exit: got %d, want %d", got.code, tt.wantCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.stdout, w) {
					t.Errorf("stdout lacks %q", w)
				}
			}
		})
	}
}

// Nothing listening: refused, exit 1, errors grouped by cause.
func TestConnsRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	got := connsRun(t, "-c", "3", "-s", "0", "--hold", "0", "localhost", port)
	if got.code != 1 {
		t.Errorf("exit: got %d, want 1", got.code)
	}
	for _, w := range []string{"Error: 3, NotInitiated: 0\n", "Time to error stats for 3 failed connections", "Errors by cause: refused 3\n"} {
		if !strings.Contains(got.stdout, w) {
			t.Errorf("stdout lacks %q", w)
		}
	}
}

// Flags may follow HOST and PORT, as with tcpgoon, and long and short forms are the same flag.
func TestConnsFlagPositions(t *testing.T) {
	port := connsLimited(t, 100)
	tests := []struct {
		name string
		args []string
	}{
		{"short first", []string{"-c", "4", "-s", "0", "-i", "50ms", "--hold", "0", "127.0.0.1", port}},
		{"long last", []string{"127.0.0.1", port, "--connections", "4", "--sleep", "0", "--interval", "50ms", "--hold", "0", "--assume-yes"}},
		{"between", []string{"127.0.0.1", "--connections=4", port, "-s=0", "--dial-timeout", "1s", "--hold=0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := connsRun(t, tt.args...)
			if got.code != 0 {
				t.Errorf("exit: got %d, want 0", got.code)
			}
			if want := "Total: 4, Dialing: 0, Established: 4, Closed: 0, Error: 0, NotInitiated: 0\n"; !strings.Contains(got.stdout, want) {
				t.Errorf("stdout lacks %q", want)
			}
		})
	}
}

// Bad input gets a message naming the problem and exit 2, before anything is dialed.
func TestConnsUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "want HOST PORT, got 0"},
		{"port missing", []string{"127.0.0.1"}, "want HOST PORT, got 1"},
		{"extra argument", []string{"127.0.0.1", "80", "90"}, "got 3 argument(s): 127.0.0.1 80 90"},
		{"port 0", []string{"127.0.0.1", "0"}, "port 0 out of range"},
		{"port too high", []string{"127.0.0.1", "65536"}, "port 65536 out of range"},
		{"port not a number", []string{"127.0.0.1", "http"}, `port "http" is not a number`},
		{"zero connections", []string{"-c", "0", "127.0.0.1", "80"}, "-c/--connections must be at least 1, got 0"},
		{"negative connections", []string{"--connections", "-5", "127.0.0.1", "80"}, "must be at least 1, got -5"},
		{"negative sleep", []string{"-s", "-1", "127.0.0.1", "80"}, "-s/--sleep must not be negative"},
		{"zero dial timeout", []string{"-d", "0", "127.0.0.1", "80"}, "-d/--dial-timeout must be positive"},
		{"negative interval", []string{"-i", "-1", "127.0.0.1", "80"}, "-i/--interval must be positive"},
		{"negative hold", []string{"--hold", "-1s", "127.0.0.1", "80"}, "--hold must not be negative"},
		{"hold without a unit", []string{"--hold", "100", "127.0.0.1", "80"}, `invalid value "100" for flag -hold: add a unit, such as 100ms or 100s`},
		{"sleep not a number", []string{"-s", "soon", "127.0.0.1", "80"}, `"soon" is neither milliseconds nor a duration`},
		{"http path without slash", []string{"--http", "health", "127.0.0.1", "80"}, `--http path "health" must start with /`},
		{"unknown flag", []string{"--rate", "5", "127.0.0.1", "80"}, "flag provided but not defined: -rate"},
		// .invalid never resolves (RFC 6761).
		{"unknown host", []string{"no-such-host.invalid", "80"}, `resolve "no-such-host.invalid"`},
		// Not loopback, no -y and no terminal to ask on: refused without dialing. 192.0.2.0/24 is
		// reserved for documentation and never routed.
		{"not loopback", []string{"192.0.2.1", "80"}, "not a loopback address and stdin is not a terminal to confirm; pass -y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := connsRun(t, tt.args...)
			if got.code != 2 {
				t.Errorf("exit: got %d, want 2", got.code)
			}
			if !strings.Contains(got.stderr, tt.want) {
				t.Errorf("stderr: got %q, want it to contain %q", got.stderr, tt.want)
			}
			if got.stdout != "" {
				t.Errorf("stdout: got %q, want nothing", got.stdout)
			}
		})
	}
}

func TestConnsHelp(t *testing.T) {
	got := connsRun(t, "-h")
	if got.code != 0 {
		t.Errorf("exit: got %d, want 0", got.code)
	}
	for _, w := range []string{"Usage: loadtest conns [flags] HOST PORT", "-c, --connections N", "--warn-fd", "--http PATH"} {
		if !strings.Contains(got.stdout, w) {
			t.Errorf("help lacks %q", w)
		}
	}
}

// --json: one JSON report on stdout, progress lines on stderr.
func TestConnsJSON(t *testing.T) {
	port := connsLimited(t, 5)
	got := connsRun(t, "--json", "-c", "8", "-s", "1", "-i", "50ms", "--hold", "300ms", "--http", "/", "127.0.0.1", port)
	if got.code != 1 {
		t.Errorf("exit: got %d, want 1", got.code)
	}
	var report struct {
		Target string `json:"target"`
		Final  struct {
			Total, Established, Closed, Served int
		} `json:"final"`
		Connect struct {
			Count int     `json:"count"`
			Max   float64 `json:"max_ms"`
		} `json:"connect"`
		ClosedBy map[string]int `json:"closed_by"`
		Passed   bool           `json:"passed"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &report); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\n%s", err, got.stdout)
	}
	if report.Target != "127.0.0.1:"+port || report.Final.Total != 8 || report.Final.Established != 5 ||
		report.Final.Served != 5 || report.Passed {
		t.Errorf("report: got %+v, want 8 total, 5 established and served, not passed", report)
	}
	if report.Connect.Count != 8 || report.Connect.Max <= 0 {
		t.Errorf("connect: got %+v, want 8 timings", report.Connect)
	}
	if sum := report.ClosedBy["eof"] + report.ClosedBy["reset"]; sum != 3 {
		t.Errorf("closed by peer: got %v, want 3 in all", report.ClosedBy)
	}
	if !strings.Contains(got.stderr, "Total: 8, ") {
		t.Errorf("stderr lacks the progress lines")
	}
}

// -v logs each connection's events on stderr.
func TestConnsVerbose(t *testing.T) {
	port := connsLimited(t, 5)
	got := connsRun(t, "-v", "-c", "2", "-s", "0", "--hold", "0", "127.0.0.1", port)
	if got.code != 0 {
		t.Errorf("exit: got %d, want 0", got.code)
	}
	if n := strings.Count(got.stderr, "msg=established"); n != 2 {
		t.Errorf("established log lines: got %d, want 2", n)
	}
}

func TestMsDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"250", 250 * time.Millisecond, false},
		{"0", 0, false},
		{"2s", 2 * time.Second, false},
		{"1m30s", 90 * time.Second, false},
		{"-3", -3 * time.Millisecond, false}, // parsed; the range check rejects it later
		{"fast", 0, true},
	}
	for _, tt := range tests {
		var d msDuration
		err := d.Set(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Set(%q): got error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && time.Duration(d) != tt.want {
			t.Errorf("Set(%q): got %v, want %v", tt.in, time.Duration(d), tt.want)
		}
	}
}

// Our own descriptor limit: the real binary under prlimit refuses N that cannot fit, and with
// --warn-fd tries anyway and reports the shortfall as emfile errors.
func TestConnsOurFDLimit(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prlimit not installed (Debian: util-linux); CI must run this test")
		}
		t.Skip("prlimit not installed (Debian: util-linux)")
	}
	bin := filepath.Join(t.TempDir(), "loadtest")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port := connsLimited(t, 1000)

	tests := []struct {
		name     string
		flags    []string
		wantCode int
		want     string
	}{
		// 100 connections cannot fit in 48 descriptors: refused before dialing.
		{"refuse", nil, 2, "run with --warn-fd to try anyway"},
		// With --warn-fd the check runs and names our side as the limit.
		{"warn", []string{"--warn-fd"}, 1, "emfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := append([]string{"--nofile=48:48", bin, "conns", "-c", "100", "-s", "0", "--hold", "0"}, tt.flags...)
			args = append(args, "127.0.0.1", port)
			cmd := exec.CommandContext(ctx, prlimit, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exitErr *exec.ExitError
			code := 0
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			if code != tt.wantCode {
				t.Errorf("exit: got %d, want %d", code, tt.wantCode)
			}
			if out := stdout.String() + stderr.String(); !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q", tt.want)
			}
		})
	}
}

// -i takes tcpgoon's seconds for a plain number, and a Go duration as well.
func TestConnsIntervalInSeconds(t *testing.T) {
	tests := []struct {
		arg  string
		want time.Duration
	}{
		{"1", time.Second}, // tcpgoon's -i 1
		{"0.5", 500 * time.Millisecond},
		{"500ms", 500 * time.Millisecond},
		{"2s", 2 * time.Second},
	}
	for _, tt := range tests {
		opts, err := parseConns([]string{"-i", tt.arg, "127.0.0.1", "80"})
		if err != nil {
			t.Fatalf("-i %s: %v", tt.arg, err)
		}
		if opts.cfg.Interval != tt.want {
			t.Errorf("-i %s: got %v, want %v", tt.arg, opts.cfg.Interval, tt.want)
		}
	}
	got := connsRun(t, "-i", "soon", "127.0.0.1", "80")
	if got.code != 2 || !strings.Contains(got.stderr, `"soon" is neither seconds nor a duration`) {
		t.Errorf("-i soon: exit %d, stderr %q; want 2 and a message naming it", got.code, got.stderr)
	}
	if !strings.Contains(connsUsage, "in seconds as tcpgoon's") {
		t.Errorf("usage does not say -i is in seconds:\n%s", connsUsage)
	}
}
