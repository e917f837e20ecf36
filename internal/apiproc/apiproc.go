// Package apiproc runs the API server binary as a child process, for
// end-to-end tests, the connection check's acceptance example and the lab: a
// real process with its own environment, file descriptor limit and signals,
// its JSON log lines captured.
package apiproc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/childproc"
)

// Options tune Start.
type Options struct {
	// Binary is the server binary; empty builds ./cmd/taskoverflow once per
	// process (the go tool must be on PATH).
	Binary string
	// Args are the server's arguments; empty means "serve".
	Args []string
	// Env is the server's environment, over a minimal base (PATH, HOME,
	// LOG_FORMAT=json, LOG_LEVEL=debug). ADDR is set by Start unless given.
	Env map[string]string
	// Stdout, when set, receives a copy of the server's output as it comes.
	Stdout io.Writer
	// NoFile, when above zero, sets the server's RLIMIT_NOFILE (soft and
	// hard): with prlimit(1) on Linux, the shell's ulimit on other Unix
	// systems; on Windows, which has no such limit, Start returns an error
	// saying it was not applied.
	NoFile uint64
	// Prepare, when set, may change the command just before it starts (wrap
	// it, put it in a cgroup); Start fails with its error.
	Prepare func(cmd *exec.Cmd) error
	// ReadyTimeout bounds the wait for /api/v1/ready; 0 means 60 s.
	ReadyTimeout time.Duration
	// NoWait returns as soon as the process started, without waiting for
	// /api/v1/ready (for servers expected to fail).
	NoWait bool
}

// Process is a running server.
type Process struct {
	URL  string // http://127.0.0.1:PORT
	Addr string // 127.0.0.1:PORT
	Pid  int

	cmd  *exec.Cmd
	out  *childproc.Output
	done chan struct{}
	err  error // Wait's result, set before done closes
}

// Start starts the server and, unless opts.NoWait, waits until /api/v1/ready
// answers 200. On failure the error holds the last lines the server printed.
func Start(ctx context.Context, opts Options) (*Process, error) {
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = Build(); err != nil {
			return nil, err
		}
	}
	env := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"),
		"LOG_FORMAT": "json", "LOG_LEVEL": "debug",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	if env["ADDR"] == "" {
		port, err := childproc.FreePort()
		if err != nil {
			return nil, err
		}
		env["ADDR"] = "127.0.0.1:" + strconv.Itoa(port)
	}
	args := opts.Args
	if len(args) == 0 {
		args = []string{"serve"}
	}
	name := bin
	if opts.NoFile > 0 {
		var err error
		if name, args, err = withNoFile(opts.NoFile, bin, args); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(name, args...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &Process{Addr: env["ADDR"], cmd: cmd, out: &childproc.Output{}, done: make(chan struct{})}
	p.URL = "http://" + p.Addr
	var w io.Writer = p.out
	if opts.Stdout != nil {
		w = io.MultiWriter(p.out, opts.Stdout)
	}
	cmd.Stdout, cmd.Stderr = w, w
	// The server dies with us where the platform allows (Linux), so that a
	// failed test leaves no process behind.
	cmd.SysProcAttr = childAttr()
	if opts.Prepare != nil {
		if err := opts.Prepare(cmd); err != nil {
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p.Pid = cmd.Process.Pid
	go func() { p.err = cmd.Wait(); close(p.done) }()
	if opts.NoWait {
		return p, nil
	}
	limit := opts.ReadyTimeout
	if limit == 0 {
		limit = 60 * time.Second
	}
	if err := p.waitReady(ctx, limit); err != nil {
		p.Kill()
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, childproc.LastLines(p.Logs(), 20))
	}
	return p, nil
}

func (p *Process) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/ready", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("the server exited before it was ready: %v", p.err)
		case <-ctx.Done():
			return fmt.Errorf("the server was not ready within %v", limit)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Logs returns everything the server printed so far: one JSON object per line.
func (p *Process) Logs() []byte { return p.out.Bytes() }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the process's exit error (nil for exit status 0); valid after Done.
func (p *Process) Err() error { <-p.done; return p.err }

// Signal sends sig to the server.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Stop sends SIGTERM and waits for the exit until ctx ends, then kills. It
// returns the exit error, nil for a clean exit.
func (p *Process) Stop(ctx context.Context) error {
	if err := p.Signal(syscall.SIGTERM); err != nil {
		p.Kill() // no SIGTERM on Windows
		return p.err
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		p.Kill()
		return fmt.Errorf("the server did not stop in time: %w", ctx.Err())
	}
}

// Kill kills the server at once and waits for it.
func (p *Process) Kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// build caches the built binary for the life of this process.
var build struct {
	once sync.Once
	path string
	err  error
}

// Build compiles ./cmd/taskoverflow once per process and returns the binary's
// path. Binaries of processes that are gone are removed.
func Build() (string, error) {
	build.once.Do(func() {
		dir := filepath.Join(os.TempDir(), "taskoverflow-apiproc")
		if build.err = os.MkdirAll(dir, 0o755); build.err != nil {
			return
		}
		removeStale(dir)
		build.path = filepath.Join(dir, "taskoverflow-"+strconv.Itoa(os.Getpid()))
		cmd := exec.Command("go", "build", "-o", build.path, "github.com/taskoverflow-lab/taskoverflow/cmd/taskoverflow")
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/taskoverflow: %w\n%s", err, out)
		}
	})
	return build.path, build.err
}

// removeStale deletes binaries whose building process has exited.
func removeStale(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "taskoverflow-"))
		if err != nil {
			continue
		}
		if !processAlive(pid) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
