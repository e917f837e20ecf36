// Package childproc holds what the packages that start child processes (the
// API server, Postgres, Redis) for the lab, make run and tests share: a free
// loopback port to give one, a buffer for its output, and the tail of that
// output for an error message.
package childproc

import (
	"bytes"
	"net"
	"strings"
	"sync"
)

// FreePort asks the kernel for a free loopback port. It returns the
// listener's error when none can be had.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Output is a bytes.Buffer safe for concurrent writers and readers: a child's
// stdout and stderr, read while it runs.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// Bytes returns a copy of what was written so far.
func (o *Output) Bytes() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return bytes.Clone(o.b.Bytes())
}

// String returns what was written so far.
func (o *Output) String() string { return string(o.Bytes()) }

// LastLines returns the last n lines of b, for an error message.
func LastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
