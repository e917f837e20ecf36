//go:build unix

package loadtests

import (
	"errors"
	"syscall"
)

// peekNoWait looks at a socket's next bytes without taking them or waiting:
// open is true when the connection is open with nothing to read; otherwise
// n > 0 bytes wait, or n == 0 means the peer closed it or it failed.
func peekNoWait(fd uintptr, b []byte) (n int, open bool) {
	n, _, err := syscall.Recvfrom(int(fd), b, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	if errors.Is(err, syscall.EAGAIN) {
		return 0, true
	}
	if err != nil {
		return 0, false
	}
	return n, false
}
