//go:build unix && !linux

package testserver

import "syscall"

// socket opens a non-blocking TCP socket closed on exec. Without Linux's
// SOCK_CLOEXEC the flag is set after the socket opens (syscall.ForkLock
// keeps a concurrent exec from inheriting it).
func socket() (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}
