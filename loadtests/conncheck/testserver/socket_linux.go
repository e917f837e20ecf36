package testserver

import "syscall"

// socket opens a non-blocking TCP socket closed on exec, atomically.
func socket() (int, error) {
	return syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
}
