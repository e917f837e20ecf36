//go:build unix

package testserver

import (
	"net"
	"os"
	"syscall"
)

// setNoFile sets this process's RLIMIT_NOFILE, soft and hard, to n.
func setNoFile(n uint64) error {
	lim := syscall.Rlimit{Cur: n, Max: n}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// listenWithBacklog listens on 127.0.0.1 through socket, bind and listen, so that the backlog
// is the one asked for.
func listenWithBacklog(backlog int) (net.Listener, error) {
	fd, err := socket()
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return nil, os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return nil, os.NewSyscallError("listen", err)
	}
	return net.FileListener(f)
}
