//go:build !unix

package apiproc

import (
	"fmt"
	"os"
	"syscall"
)

// childAttr sets nothing: the platform has no parent-death signal.
func childAttr() *syscall.SysProcAttr { return nil }

// withNoFile fails: the platform has no RLIMIT_NOFILE to set.
func withNoFile(n uint64, bin string, args []string) (string, []string, error) {
	return "", nil, fmt.Errorf("file descriptor limit %d not applied: this platform has no RLIMIT_NOFILE (use Linux, macOS or WSL2)", n)
}

// processAlive reports whether a process pid exists.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
