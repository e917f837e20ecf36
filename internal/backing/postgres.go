package backing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/taskoverflow-lab/taskoverflow/internal/childproc"
)

// PostgresOptions tune StartPostgres.
type PostgresOptions struct {
	Dir            string // data directory; created with initdb when empty
	BinDir         string // where initdb and postgres are; found when empty
	Port           int    // 0 picks a free one
	Fsync          bool   // keep fsync on (data kept between runs); off is faster for tests
	MaxConnections int    // 0 keeps the default (100)
	Path           string // PATH list searched for the binaries; empty: the process's PATH
	Logger         *slog.Logger
}

// Postgres is a server started from the local binaries. It can be stopped and
// started again on the same port and data, to test what clients do meanwhile.
type Postgres struct {
	opts PostgresOptions
	bin  string
	cred *account // the user to run as; nil: ourselves

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// StartPostgres initialises opts.Dir if needed and starts a server on loopback.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	bin, err := searchPath(opts.Path).postgres(opts.BinDir)
	if err != nil {
		return nil, err
	}
	p := &Postgres{opts: opts, bin: bin}
	if os.Geteuid() == 0 {
		if p.cred, err = postgresCredential(); err != nil {
			return nil, err
		}
	}
	if p.opts.Port == 0 {
		if p.opts.Port, err = childproc.FreePort(); err != nil {
			return nil, err
		}
	}
	if err := p.initdb(ctx); err != nil {
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	if err := p.createDatabase(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// URL is the connection URL of the application database.
func (p *Postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.opts.Port, Database)
}

// Port is the TCP port the server listens on.
func (p *Postgres) Port() int { return p.opts.Port }

func (p *Postgres) adminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", p.opts.Port)
}

func (p *Postgres) logPath() string { return strings.TrimRight(p.opts.Dir, "/") + ".log" }

func (p *Postgres) initdb(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(p.opts.Dir, "PG_VERSION")); err == nil {
		return nil
	}
	if err := os.MkdirAll(p.opts.Dir, 0o700); err != nil {
		return err
	}
	if err := p.chown(p.opts.Dir); err != nil {
		return err
	}
	if err := p.checkReachable(p.opts.Dir); err != nil {
		return err
	}
	p.opts.Logger.Info("initdb", "dir", p.opts.Dir)
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, "initdb"),
		"-D", p.opts.Dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	cmd.SysProcAttr = childAttr(p.cred, syscall.SIGKILL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", p.opts.Dir, err, childproc.LastLines(out, 10))
	}
	return nil
}

// Start starts the server (again) and waits until it accepts connections.
func (p *Postgres) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return nil
	}
	args := []string{"-D", p.opts.Dir, "-p", strconv.Itoa(p.opts.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="}
	if !p.opts.Fsync {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	if p.opts.MaxConnections > 0 {
		args = append(args, "-c", "max_connections="+strconv.Itoa(p.opts.MaxConnections))
	}
	if err := p.checkNotHeld(); err != nil {
		return err
	}
	logf, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Postgres dies with us where the platform can arrange it (Linux): a
	// killed `make run` or test leaves no server holding the data directory.
	cmd.SysProcAttr = childAttr(p.cred, syscall.SIGQUIT)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	if err := waitFor(ctx, done, 30*time.Second, func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, p.adminURL())
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	}); err != nil {
		cmd.Process.Kill()
		<-done
		if held := p.checkNotHeld(); held != nil {
			return held
		}
		log, _ := os.ReadFile(p.logPath())
		return fmt.Errorf("postgres on port %d did not come up: %w\n%s", p.opts.Port, err, childproc.LastLines(log, 15))
	}
	p.cmd, p.done = cmd, done
	p.opts.Logger.Info("postgres started", "port", p.opts.Port, "dir", p.opts.Dir)
	return nil
}

// Stop shuts the server down (fast shutdown: clients are disconnected,
// committed data is kept) and waits for it to exit.
func (p *Postgres) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil
	}
	stopProcess(p.cmd.Process, p.done, syscall.SIGINT, 20*time.Second)
	p.cmd = nil
	return nil
}

// Close stops the server; the data directory stays.
func (p *Postgres) Close() error { return p.Stop() }

// Pid is the server's process id, 0 while it is stopped.
func (p *Postgres) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *Postgres) createDatabase(ctx context.Context) error {
	return CreateDatabase(ctx, p.adminURL(), Database)
}

// CreateDatabase creates name on the server of adminURL unless it exists.
func CreateDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

func (p *Postgres) chown(path string) error {
	if p.cred == nil {
		return nil
	}
	return os.Chown(path, p.cred.uid, p.cred.gid)
}

// checkReachable tells, when the server runs as another user, which parent
// directory of dir that user cannot pass through.
func (p *Postgres) checkReachable(dir string) error {
	if p.cred == nil {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("the postgres user cannot reach %s: %s is not traversable by others (chmod o+x %s, or choose another directory)", dir, d, d)
		}
		if d == "/" {
			return nil
		}
	}
}

// postgresCredential is the `postgres` user, which initdb and postgres need
// when the caller is root: both refuse to run as root.
func postgresCredential() (*account, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root, Postgres must run as the `postgres` user, and there is none (Debian: apt-get install -y postgresql creates it)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &account{uid: uid, gid: gid}, nil
}

// account is a user a server runs as.
type account struct{ uid, gid int }

// stopProcess sends sig, waits up to grace for done, then kills. Where the
// platform cannot deliver sig (Windows), it kills at once.
func stopProcess(proc *os.Process, done <-chan struct{}, sig os.Signal, grace time.Duration) {
	if err := proc.Signal(sig); err != nil {
		proc.Kill()
		<-done
		return
	}
	select {
	case <-done:
	case <-time.After(grace):
		proc.Kill()
		<-done
	}
}

// waitFor calls try until it succeeds, the process behind exited closes, ctx
// ends or limit passes. It returns the last error.
func waitFor(ctx context.Context, exited <-chan struct{}, limit time.Duration, try func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		err := try(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the process exited: %w", err)
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// redactURL hides the password of a URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
