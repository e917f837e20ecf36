package conncheck_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck/testserver"
)

// TestMain lets this test binary double as the fd-limited child server.
func TestMain(m *testing.M) {
	if spec := os.Getenv(testserver.ChildEnv); spec != "" {
		os.Exit(testserver.ChildMain(spec, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// check runs a bounded check against 127.0.0.1:port and fails the test when it cannot start.
func check(t *testing.T, port, n int, tweak func(*conncheck.Config)) conncheck.Report {
	t.Helper()
	cfg := conncheck.Config{
		Host:        "127.0.0.1",
		Port:        port,
		Connections: n,
		Sleep:       time.Millisecond,
		DialTimeout: 2 * time.Second,
		Hold:        300 * time.Millisecond,
		Interval:    50 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := conncheck.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("\n%s", r.Text())
	return r
}

func probe(path string) func(*conncheck.Config) {
	return func(c *conncheck.Config) { c.HTTPPath = path }
}

func startLimited(t *testing.T, k int) *testserver.Server {
	t.Helper()
	s, err := testserver.Limited(k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A listener that keeps at most K connections: the check sees exactly K established, the rest
// closed by the peer, and passes only below K.
func TestRunListenerLimit(t *testing.T) {
	const limit = 30
	srv := startLimited(t, limit)
	tests := []struct {
		name            string
		n               int
		http            bool
		wantEstablished int
		wantClosed      int
		wantPassed      bool
	}{
		// Below the limit every connection stays open.
		{"below", 20, false, 20, 0, true},
		// At the limit, still fine.
		{"at", limit, false, limit, 0, true},
		// Above it, the extra connections are closed by the server.
		{"above", 50, false, limit, 20, false},
		// The probe agrees: the kept ones are served.
		{"above with probe", 50, true, limit, 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tweak func(*conncheck.Config)
			if tt.http {
				tweak = probe("/")
			}
			r := check(t, srv.Port(), tt.n, tweak)
			if got := r.Final.Established; got != tt.wantEstablished {
				t.Errorf("established: got %d, want %d", got, tt.wantEstablished)
			}
			if got := r.Final.Closed; got != tt.wantClosed {
				t.Errorf("closed: got %d, want %d", got, tt.wantClosed)
			}
			if got := r.Passed(); got != tt.wantPassed {
				t.Errorf("passed: got %v, want %v", got, tt.wantPassed)
			}
			if got := r.Final.Error; got != 0 {
				t.Errorf("errors: got %d, want 0", got)
			}
			if got := r.Connect.Count; got != tt.n {
				t.Errorf("connect time count: got %d, want %d (every dial completed)", got, tt.n)
			}
			if tt.http && r.Final.Served != limit {
				t.Errorf("served: got %d, want %d", r.Final.Served, limit)
			}
		})
	}
}

// A server that stops accepting: the kernel still completes handshakes into the backlog, so
// established stays high while served drops to what the application accepted.
func TestProbeTellsBacklogFromServed(t *testing.T) {
	const accepted, n = 20, 60
	tests := []struct {
		name        string
		http        bool
		wantServed  int
		wantPassed  bool
		wantStatus  int
		wantPerCode int
	}{
		// Without the probe the stalled server looks healthy: all 60 established.
		{"plain", false, 0, true, 0, 0},
		// With it, only the 20 it accepted answer.
		{"probe", true, accepted, false, 200, accepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := testserver.StopAccepting(accepted)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			var tweak func(*conncheck.Config)
			if tt.http {
				tweak = probe("/health")
			}
			r := check(t, srv.Port(), n, tweak)
			if got := r.Final.Established; got != n {
				t.Errorf("established: got %d, want %d", got, n)
			}
			if got := r.Final.Served; got != tt.wantServed {
				t.Errorf("served: got %d, want %d", got, tt.wantServed)
			}
			if got := r.Passed(); got != tt.wantPassed {
				t.Errorf("passed: got %v, want %v", got, tt.wantPassed)
			}
			if tt.http {
				if got := r.HTTPStatus[tt.wantStatus]; got != tt.wantPerCode {
					t.Errorf("%d responses: got %d, want %d", tt.wantStatus, got, tt.wantPerCode)
				}
				if want := fmt.Sprintf("Served: %d of %d connections answered GET /health", accepted, n); !strings.Contains(r.Text(), want) {
					t.Errorf("text lacks %q:\n%s", want, r.Text())
				}
			}
		})
	}
}

// A server in a child process with RLIMIT_NOFILE set low and a listen backlog of 1: below its
// capacity the check passes; above it, it fails and reports the limit within a few connections.
func TestRunFDLimitedServer(t *testing.T) {
	const nofile, backlog = 64, 1
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		extra int // connections relative to the server's capacity
		http  bool
	}{
		// Well below the limit, plain and probed.
		{"below", -10, false},
		{"below with probe", -10, true},
		// Above it: the server stops accepting at EMFILE, its backlog fills, later SYNs are
		// dropped and time out.
		{"above", 30, false},
		{"above with probe", 30, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			child, err := testserver.StartChild(ctx, exe, nofile, backlog)
			if err != nil {
				t.Fatal(err)
			}
			defer child.Close()
			capacity := child.Capacity()
			n := capacity + tt.extra
			t.Logf("server capacity %d (RLIMIT_NOFILE %d, %d open), checking %d", capacity, nofile, child.BaseFDs, n)

			tweak := func(c *conncheck.Config) {
				c.Sleep = 2 * time.Millisecond
				// Long enough for one SYN retransmission (after 1s): with a backlog of 1, a
				// child that is not scheduled for a moment drops a SYN even below its limit.
				c.DialTimeout = 1500 * time.Millisecond
				if tt.http {
					c.HTTPPath = "/"
				}
			}
			r := check(t, child.Port(), n, tweak)
			if tt.extra < 0 {
				if !r.Passed() {
					t.Errorf("got failed, want passed below the limit")
				}
				return
			}
			if r.Passed() {
				t.Errorf("got passed, want failed above the limit")
			}
			// What the check saw as the limit: served connections with the probe, established
			// ones (accepted + the backlog) without.
			seen, want := r.Final.Established, capacity+backlog+1
			if tt.http {
				seen, want = r.Final.Served, capacity
			}
			if seen < want-2 || seen > want+2 {
				t.Errorf("limit seen: got %d, want %d±2", seen, want)
			}
			if got := r.Errors[conncheck.CauseTimeout]; got == 0 {
				t.Errorf("timeouts: got 0, want the dials beyond the backlog to time out (errors %v)", r.Errors)
			}
		})
	}
}

// Nothing listening: every dial is refused, quickly, and counted as such.
func TestRunRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	r := check(t, port, 5, func(c *conncheck.Config) { c.Sleep = 0 })
	if got := r.Errors[conncheck.CauseRefused]; got != 5 {
		t.Errorf("refused: got %d, want 5 (errors %v)", got, r.Errors)
	}
	if got := r.TimeToError.Count; got != 5 {
		t.Errorf("time to error count: got %d, want 5", got)
	}
	if r.Passed() {
		t.Errorf("got passed, want failed")
	}
	if !strings.Contains(r.Text(), "Errors by cause: refused 5\n") {
		t.Errorf("text lacks the refused line:\n%s", r.Text())
	}
}

// OnStats gets a first snapshot before any dial, then snapshots that always add up to the total.
func TestRunOnStats(t *testing.T) {
	srv := startLimited(t, 100)
	var mu sync.Mutex
	var got []conncheck.Stats
	r := check(t, srv.Port(), 20, func(c *conncheck.Config) {
		c.Sleep = 10 * time.Millisecond
		c.Interval = 20 * time.Millisecond
		c.OnStats = func(s conncheck.Stats) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, s)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("stats calls: got %d, want at least 3 over a ~500ms check", len(got))
	}
	if first := got[0]; first.NotInitiated != 20 || first.Total != 20 {
		t.Errorf("first stats: got %v, want all 20 not initiated", first)
	}
	for _, s := range got {
		if sum := s.NotInitiated + s.Dialing + s.Established + s.Closed + s.Error; sum != s.Total {
			t.Errorf("stats %v: states add up to %d, want %d", s, sum, s.Total)
		}
	}
	if got, want := got[0].String(), "Total: 20, Dialing: 0, Established: 0, Closed: 0, Error: 0, NotInitiated: 20"; got != want {
		t.Errorf("line: got %q, want %q", got, want)
	}
	if !r.Passed() {
		t.Errorf("got failed, want passed")
	}
}

// Cancelling the context stops the check early and marks the report interrupted.
func TestRunInterrupted(t *testing.T) {
	srv := startLimited(t, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r, err := conncheck.Run(ctx, conncheck.Config{
		Host: "127.0.0.1", Port: srv.Port(), Connections: 50, Sleep: 50 * time.Millisecond, Hold: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted {
		t.Errorf("interrupted: got false, want true")
	}
	if r.Final.NotInitiated == 0 {
		t.Errorf("not initiated: got 0, want some left after 200ms of a 2.5s dial phase")
	}
	if r.Passed() {
		t.Errorf("got passed, want failed")
	}
}

// Bad configurations are refused before any dial, with an error naming the problem.
func TestRunInvalidConfig(t *testing.T) {
	base := conncheck.Config{Host: "127.0.0.1", Port: 9, Connections: 1}
	tests := []struct {
		name  string
		tweak func(*conncheck.Config)
		want  string
	}{
		{"port 0", func(c *conncheck.Config) { c.Port = 0 }, "port 0"},
		{"port too high", func(c *conncheck.Config) { c.Port = 70000 }, "port 70000"},
		{"no connections", func(c *conncheck.Config) { c.Connections = 0 }, "connections"},
		{"negative sleep", func(c *conncheck.Config) { c.Sleep = -time.Millisecond }, "sleep"},
		{"negative dial timeout", func(c *conncheck.Config) { c.DialTimeout = -time.Second }, "dial timeout"},
		{"negative hold", func(c *conncheck.Config) { c.Hold = -time.Second }, "hold"},
		{"path without slash", func(c *conncheck.Config) { c.HTTPPath = "health" }, "HTTP path"},
		{"path with newline", func(c *conncheck.Config) { c.HTTPPath = "/x\r\nHost: y" }, "HTTP path"},
		{"no host", func(c *conncheck.Config) { c.Host = "" }, "no host"},
		// .invalid never resolves (RFC 6761).
		{"unknown host", func(c *conncheck.Config) { c.Host = "no-such-host.invalid" }, "no-such-host.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.tweak(&cfg)
			_, err := conncheck.Run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error: got %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// More connections than our hard descriptor limit allows are refused up front, not attempted.
func TestRunRefusesBeyondOurFDLimit(t *testing.T) {
	_, hard, err := conncheck.RaiseFDLimit()
	if err != nil {
		t.Fatal(err)
	}
	if hard > 1<<20 {
		t.Skipf("hard RLIMIT_NOFILE is %d: too large to exceed in a test", hard)
	}
	n := int(hard) + 1
	_, err = conncheck.Run(context.Background(), conncheck.Config{Host: "127.0.0.1", Port: 9, Connections: n})
	var fdErr *conncheck.FDLimitError
	if !errors.As(err, &fdErr) {
		t.Fatalf("error: got %v, want an *FDLimitError", err)
	}
	if fdErr.Limit.Fits() || fdErr.Connections != n {
		t.Errorf("FDLimitError: got %+v, want %d connections that do not fit", fdErr, n)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		host string
		want string
	}{
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
		{"[::1]", "::1"},
		{"localhost", "127.0.0.1"}, // IPv4 preferred
	}
	for _, tt := range tests {
		got, err := conncheck.Resolve(context.Background(), tt.host)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tt.host, err)
			continue
		}
		if got != netip.MustParseAddr(tt.want) {
			t.Errorf("Resolve(%q): got %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	tests := []struct {
		name string
		err  error
		want conncheck.Cause
	}{
		{"refused", opErr(syscall.ECONNREFUSED), conncheck.CauseRefused},
		{"reset", opErr(syscall.ECONNRESET), conncheck.CauseReset},
		{"broken pipe", opErr(syscall.EPIPE), conncheck.CauseReset},
		{"our fd limit", &net.OpError{Op: "dial", Err: os.NewSyscallError("socket", syscall.EMFILE)}, conncheck.CauseEMFILE},
		{"system fd limit", opErr(syscall.ENFILE), conncheck.CauseEMFILE},
		{"no local port", opErr(syscall.EADDRNOTAVAIL), conncheck.CauseNoPort},
		{"unreachable", opErr(syscall.EHOSTUNREACH), conncheck.CauseUnreachable},
		{"kernel timeout", opErr(syscall.ETIMEDOUT), conncheck.CauseTimeout},
		{"dial timeout", &net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded}, conncheck.CauseTimeout},
		{"clean close", io.EOF, conncheck.CauseEOF},
		{"wrapped close", fmt.Errorf("read: %w", io.EOF), conncheck.CauseEOF},
		{"close mid-response", io.ErrUnexpectedEOF, conncheck.CauseEOF},
		{"anything else", errors.New("boom"), conncheck.CauseOther},
	}
	for _, tt := range tests {
		if got := conncheck.Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify(%v): got %q, want %q", tt.name, tt.err, got, tt.want)
		}
	}
}

// A report written as JSON reads back as the report, to the microsecond:
// a real check with the probe, against a server that stops accepting.
func TestReportJSONRoundTrip(t *testing.T) {
	srv, err := testserver.StopAccepting(5)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := check(t, srv.Port(), 12, probe("/health"))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got conncheck.Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	us := func(d time.Duration) time.Duration { return d.Truncate(time.Microsecond) }
	want := r
	want.Elapsed, want.Final.Elapsed = us(r.Elapsed), us(r.Elapsed)
	for _, d := range []*conncheck.DurationStats{&want.Connect, &want.TimeToError} {
		d.Min, d.Avg, d.Max, d.StdDev = us(d.Min), us(d.Avg), us(d.Max), us(d.StdDev)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back:\n%+v\nwant\n%+v", got, want)
	}
	if got.Passed() || got.Final.Served != 5 || got.Text() != want.Text() {
		t.Errorf("read back: passed %v, served %d, text\n%s\nwant\n%s", got.Passed(), got.Final.Served, got.Text(), want.Text())
	}
}
