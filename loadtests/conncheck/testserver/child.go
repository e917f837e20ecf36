package testserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ChildEnv is the environment variable that tells a binary to run as a child server. Its value
// is "nofile=N backlog=B" (either may be 0: keep the inherited limit, use somaxconn). A test
// binary hands control over in TestMain:
//
//	func TestMain(m *testing.M) {
//		if spec := os.Getenv(testserver.ChildEnv); spec != "" {
//			os.Exit(testserver.ChildMain(spec, os.Stdin, os.Stdout, os.Stderr))
//		}
//		os.Exit(m.Run())
//	}
const ChildEnv = "TASKOVERFLOW_TESTSERVER_CHILD"

// ChildMain is the child side: it sets this process's RLIMIT_NOFILE (soft and hard) to nofile,
// listens on 127.0.0.1 with the given backlog, writes "listening ADDR fds N" to stdout (N: the
// descriptors already open), and serves HTTP until stdin reaches EOF. It returns the process exit
// status: 0 after a clean stop, 2 on a bad spec, 1 on any other error (written to stderr).
func ChildMain(spec string, stdin io.Reader, stdout, stderr io.Writer) int {
	var nofile uint64
	var backlog int
	if _, err := fmt.Sscanf(spec, "nofile=%d backlog=%d", &nofile, &backlog); err != nil {
		fmt.Fprintf(stderr, "testserver: bad %s %q: %v\n", ChildEnv, spec, err)
		return 2
	}
	if nofile > 0 {
		if err := setNoFile(nofile); err != nil {
			fmt.Fprintf(stderr, "testserver: set RLIMIT_NOFILE to %d: %v\n", nofile, err)
			return 1
		}
	}
	ln, err := listenBacklog(backlog)
	if err != nil {
		fmt.Fprintf(stderr, "testserver: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "listening %s fds %d\n", ln.Addr(), openFDs())
	if err := serveUntil(context.Background(), ln, stdin); err != nil {
		fmt.Fprintf(stderr, "testserver: %v\n", err)
		return 1
	}
	return 0
}

// openFDs counts this process's open descriptors, not counting the one used to list them, or
// returns 0 where neither /proc/self/fd (Linux) nor /dev/fd (macOS) lists them.
func openFDs() int {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		if entries, err := os.ReadDir(dir); err == nil {
			return len(entries) - 1
		}
	}
	return 0
}

// Child is a server running in a child process.
type Child struct {
	// Addr is where the child listens.
	Addr netip.AddrPort
	// BaseFDs is the number of descriptors the child had open before its first connection.
	BaseFDs int
	// NoFile is the child's RLIMIT_NOFILE (0: inherited).
	NoFile uint64
	cmd    *exec.Cmd
	stdin  io.WriteCloser
}

// StartChild runs exe (a binary that calls ChildMain when ChildEnv is set, such as the current
// test binary) as a child server with RLIMIT_NOFILE set to nofile and the given listen backlog,
// and waits until it listens. It returns an error when the child does not start within 30s.
func StartChild(ctx context.Context, exe string, nofile uint64, backlog int) (*Child, error) {
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=nofile=%d backlog=%d", ChildEnv, nofile, backlog))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start child server: %w", err)
	}
	c := &Child{NoFile: nofile, cmd: cmd, stdin: stdin}

	type ready struct {
		line string
		err  error
	}
	lines := make(chan ready, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		lines <- ready{line, err}
		io.Copy(io.Discard, stdout)
	}()
	var got ready
	select {
	case got = <-lines:
	case <-time.After(30 * time.Second):
		got.err = fmt.Errorf("no answer within 30s")
	}
	if got.err == nil {
		var addr string
		if _, err := fmt.Sscanf(strings.TrimSpace(got.line), "listening %s fds %d", &addr, &c.BaseFDs); err != nil {
			got.err = fmt.Errorf("unexpected first line %q", got.line)
		} else if c.Addr, err = netip.ParseAddrPort(addr); err != nil {
			got.err = err
		}
	}
	if got.err != nil {
		c.Close()
		return nil, fmt.Errorf("child server: %w", got.err)
	}
	return c, nil
}

// Port returns the port the child listens on.
func (c *Child) Port() int { return int(c.Addr.Port()) }

// Capacity returns how many connections the child can accept before it runs out of descriptors,
// or -1 when its limit is inherited.
func (c *Child) Capacity() int {
	if c.NoFile == 0 {
		return -1
	}
	return int(c.NoFile) - c.BaseFDs
}

// Close stops the child (closing its stdin, then killing it after 5s) and waits for it.
func (c *Child) Close() error {
	c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		return <-done
	}
}
