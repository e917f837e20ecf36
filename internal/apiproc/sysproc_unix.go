//go:build unix && !linux

package apiproc

import (
	"strconv"
	"syscall"
)

// childAttr sets nothing: outside Linux there is no parent-death signal, so
// a server outlives a test binary that is killed (Stop and Kill still end it).
func childAttr() *syscall.SysProcAttr { return nil }

// withNoFile runs bin args through sh, whose ulimit -n sets RLIMIT_NOFILE
// (soft and hard) to n before exec.
func withNoFile(n uint64, bin string, args []string) (string, []string, error) {
	script := `ulimit -n "$0" && exec "$@"`
	return "/bin/sh", append([]string{"-c", script, strconv.FormatUint(n, 10), bin}, args...), nil
}
