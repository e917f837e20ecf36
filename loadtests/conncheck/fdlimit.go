package conncheck

import (
	"fmt"
	"os"
	"syscall"
)

// fdMargin is the number of descriptors kept free for everything a check needs besides its
// connections (standard streams, the poller, a log file).
const fdMargin = 32

// FDLimit describes this process's file descriptor budget for a check.
type FDLimit struct {
	// Soft and Hard are RLIMIT_NOFILE after raising the soft limit to the hard one.
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
	// Open is the number of descriptors open before the check started.
	Open int `json:"open"`
	// Need is Open + the connections + a small margin.
	Need int `json:"need"`
}

// Fits reports whether the check's connections fit in the soft limit.
func (l FDLimit) Fits() bool { return uint64(l.Need) <= l.Soft }

// FDLimitError is returned by Run when the connections cannot fit in this process's
// RLIMIT_NOFILE and Config.WarnFD is false.
type FDLimitError struct {
	Connections int
	Limit       FDLimit
}

func (e *FDLimitError) Error() string {
	return fmt.Sprintf("our side cannot hold %d connections: RLIMIT_NOFILE is %d (hard %d) with %d descriptors already open, %d needed; raise the hard limit (ulimit -Hn, prlimit) or accept the shortfall",
		e.Connections, e.Limit.Soft, e.Limit.Hard, e.Limit.Open, e.Limit.Need)
}

// RaiseFDLimit raises this process's RLIMIT_NOFILE soft limit to its hard limit and returns both.
// On error it returns the limits as they were.
func RaiseFDLimit() (soft, hard uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur < lim.Max {
		raised := syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return lim.Cur, lim.Max, fmt.Errorf("raise RLIMIT_NOFILE to %d: %w", lim.Max, err)
		}
		lim = raised
	}
	return lim.Cur, lim.Max, nil
}

// openFDs counts this process's open descriptors, or returns 0 where /proc is missing.
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(entries)
}

// prepareFDs raises the soft limit and says whether n connections fit.
func prepareFDs(n int) (FDLimit, error) {
	soft, hard, err := RaiseFDLimit()
	if err != nil && soft == 0 {
		return FDLimit{}, err
	}
	open := openFDs()
	return FDLimit{Soft: soft, Hard: hard, Open: open, Need: open + n + fdMargin}, nil
}
