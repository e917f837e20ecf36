//go:build !unix

package backing

import (
	"os"
	"syscall"
)

// childAttr has nothing to set where there are no process groups, user
// switches or parent-death signals (Windows): the server runs as ourselves
// and outlives us if we are killed.
func childAttr(a *account, deathSig syscall.Signal) *syscall.SysProcAttr { return nil }

// processAlive reports whether a process pid exists.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
