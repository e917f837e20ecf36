package faults_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/faults"
)

// echo serves line echo on loopback until the test ends.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					c.Write(append(sc.Bytes(), '\n'))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line through addr and reads the answer within wait.
func roundTrip(t *testing.T, c net.Conn, wait time.Duration) error {
	t.Helper()
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(wait))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err == nil && line != "ping\n" {
		t.Fatalf("got %q, want ping", line)
	}
	return err
}

// A blackhole lets nothing through until it is removed; then new
// connections pass again.
func TestBlackholeAndRemove(t *testing.T) {
	p := faults.Start(t, "echo", echo(t))
	dial := func() net.Conn {
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	if err := roundTrip(t, dial(), 5*time.Second); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	hole := p.Blackhole(t, faults.Downstream)
	if err := roundTrip(t, dial(), 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("blackholed: got %v, want the read to time out", err)
	}
	p.Remove(t, hole)
	if err := roundTrip(t, dial(), 5*time.Second); err != nil {
		t.Fatalf("after removing the blackhole: %v", err)
	}
}

// A reset toxic cuts the connection once data flows.
func TestResetPeer(t *testing.T) {
	p := faults.Start(t, "echo", echo(t))
	p.ResetPeer(t, faults.Upstream, 0)
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(t, c, 5*time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("reset: got %v, want the connection cut", err)
	}
}

// The server binary never links the fault machinery.
func TestServerDoesNotLinkFaults(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/taskoverflow-lab/taskoverflow/cmd/taskoverflow").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "toxiproxy") || strings.HasSuffix(pkg, "/internal/faults") {
			t.Errorf("cmd/taskoverflow links %s", pkg)
		}
	}
}

// The error-returning API the lab uses: a latency toxic delays the answer
// until it is removed, and the proxy closes.
func TestListenLatencyClose(t *testing.T) {
	p, err := faults.Listen("echo", echo(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	slow, err := p.AddLatency(faults.Downstream, 2000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(t, c, 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("with 2 s of latency: got %v, want the read to time out", err)
	}
	if err := p.RemoveToxic(slow); err != nil {
		t.Fatal(err)
	}
	if err := p.RemoveToxic(slow); err == nil {
		t.Error("removing a toxic twice: got no error")
	}
	p.Close()
	if c2, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c2.Close()
		t.Error("dial after Close: got a connection, want it refused")
	}
}
