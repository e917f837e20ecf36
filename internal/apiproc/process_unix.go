//go:build unix

package apiproc

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process pid exists (ours or another user's).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
