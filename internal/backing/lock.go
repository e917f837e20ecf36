package backing

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// HeldError says that another running Postgres server holds a data
// directory: a second `make run` on the same .data/ meets it.
type HeldError struct {
	Dir  string // the data directory
	Pid  int    // the other server's pid, from postmaster.pid
	Port int    // the port it listens on, 0 when postmaster.pid does not say
}

func (e *HeldError) Error() string {
	port := ""
	if e.Port > 0 {
		port = fmt.Sprintf(", listening on 127.0.0.1:%d", e.Port)
	}
	return fmt.Sprintf("another Postgres server holds %s: pid %d (from %s)%s; stop it first (the other `make run` or `taskoverflow serve -backing-dir`), or use another directory",
		e.Dir, e.Pid, filepath.Join(e.Dir, "postmaster.pid"), port)
}

// checkNotHeld returns a *HeldError when the data directory's postmaster.pid
// names a process that is alive. A missing or stale file is no error:
// postgres itself replaces a stale one.
func (p *Postgres) checkNotHeld() error {
	pid, port, ok := readPostmasterPid(p.opts.Dir)
	if !ok || !processAlive(pid) {
		return nil
	}
	return &HeldError{Dir: p.opts.Dir, Pid: pid, Port: port}
}

// readPostmasterPid reads the pid (line 1) and port (line 4) of dir's
// postmaster.pid.
func readPostmasterPid(dir string) (pid, port int, ok bool) {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, 0, false
	}
	lines := strings.Split(string(b), "\n")
	pid, err = strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		return 0, 0, false
	}
	if len(lines) > 3 {
		port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	}
	return pid, port, true
}
