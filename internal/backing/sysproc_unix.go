//go:build unix && !linux

package backing

import "syscall"

// childAttr runs a server as a (nil: ourselves), in its own process group.
// Outside Linux there is no parent-death signal: deathSig is not applied, and
// a server whose parent is killed keeps running until stopped (postmaster.pid
// then names it; see HeldError).
func childAttr(a *account, deathSig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: a.credential(), Setpgid: true}
}
