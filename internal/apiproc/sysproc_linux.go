package apiproc

import (
	"strconv"
	"syscall"
)

// childAttr has the server killed when we die.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }

// withNoFile runs bin args under prlimit(1) with RLIMIT_NOFILE set to n.
func withNoFile(n uint64, bin string, args []string) (string, []string, error) {
	v := strconv.FormatUint(n, 10)
	return "prlimit", append([]string{"--nofile=" + v + ":" + v, "--", bin}, args...), nil
}
