package backing

import "syscall"

// childAttr runs a server as a (nil: ourselves), in its own process group
// (a Ctrl-C in the terminal reaches us, and we stop it in order), with
// deathSig delivered when we die.
func childAttr(a *account, deathSig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: a.credential(), Pdeathsig: deathSig, Setpgid: true}
}
