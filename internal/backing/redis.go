package backing

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gomodule/redigo/redis"
	"github.com/taskoverflow-lab/taskoverflow/internal/childproc"
)

// RedisOptions tune StartRedis.
type RedisOptions struct {
	Dir     string // working directory (append-only file when Persist)
	Port    int    // 0 picks a free one
	Persist bool   // keep data between runs (appendonly); off for tests
	Path    string // PATH list searched for redis-server; empty: the process's PATH
	Logger  *slog.Logger
}

// Redis is a redis-server started from the local binary. Like Postgres it can
// be stopped and started again on the same port.
type Redis struct {
	opts RedisOptions
	bin  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartRedis starts redis-server on loopback.
func StartRedis(ctx context.Context, opts RedisOptions) (*Redis, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	bin, err := searchPath(opts.Path).redis()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	r := &Redis{opts: opts, bin: bin}
	if r.opts.Port == 0 {
		if r.opts.Port, err = childproc.FreePort(); err != nil {
			return nil, err
		}
	}
	if err := r.Start(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// URL is the server's redis:// URL.
func (r *Redis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.opts.Port) }

// Port is the TCP port the server listens on.
func (r *Redis) Port() int { return r.opts.Port }

// Start starts the server (again) and waits until it answers PING.
func (r *Redis) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return nil
	}
	appendonly := "no"
	if r.opts.Persist {
		appendonly = "yes"
	}
	logPath := filepath.Join(r.opts.Dir, "redis.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(r.bin, "--port", strconv.Itoa(r.opts.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", appendonly, "--dir", r.opts.Dir,
		"--daemonize", "no", "--protected-mode", "no", "--logfile", "")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr(nil, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	if err := waitFor(ctx, done, 15*time.Second, func(ctx context.Context) error {
		c, err := redis.DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", r.opts.Port))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Do("PING")
		return err
	}); err != nil {
		cmd.Process.Kill()
		<-done
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("redis-server on port %d did not come up: %w\n%s", r.opts.Port, err, childproc.LastLines(log, 15))
	}
	r.cmd, r.done = cmd, done
	r.opts.Logger.Info("redis started", "port", r.opts.Port)
	return nil
}

// Stop shuts the server down and waits for it to exit.
func (r *Redis) Stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return nil
	}
	stopProcess(r.cmd.Process, r.done, syscall.SIGTERM, 10*time.Second)
	r.cmd = nil
	return nil
}

// Close stops the server.
func (r *Redis) Close() error { return r.Stop() }
