package conncheck

import (
	"errors"
	"fmt"
	"os"
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
	// NotApplied, when set, says why there is no limit to read or raise
	// (Windows has no RLIMIT_NOFILE); Soft and Hard are then 0.
	NotApplied string `json:"not_applied,omitempty"`
}

// Fits reports whether the check's connections fit in the soft limit; they
// do where the platform has no such limit.
func (l FDLimit) Fits() bool { return l.NotApplied != "" || uint64(l.Need) <= l.Soft }

// errNoRLimit is RaiseFDLimit's error where the platform has no RLIMIT_NOFILE.
var errNoRLimit = errors.New("this platform has no RLIMIT_NOFILE: the descriptor limit was neither read nor raised")

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

// openFDs counts this process's open descriptors, or returns 0 where neither /proc/self/fd
// (Linux) nor /dev/fd (macOS) lists them.
func openFDs() int {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		if entries, err := os.ReadDir(dir); err == nil {
			return len(entries)
		}
	}
	return 0
}

// prepareFDs raises the soft limit and says whether n connections fit.
func prepareFDs(n int) (FDLimit, error) {
	soft, hard, err := RaiseFDLimit()
	open := openFDs()
	if errors.Is(err, errNoRLimit) {
		return FDLimit{Open: open, Need: open + n + fdMargin, NotApplied: err.Error()}, nil
	}
	if err != nil && soft == 0 {
		return FDLimit{}, err
	}
	return FDLimit{Soft: soft, Hard: hard, Open: open, Need: open + n + fdMargin}, nil
}
