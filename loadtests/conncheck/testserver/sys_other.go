//go:build !unix

package testserver

import (
	"errors"
	"net"
)

// setNoFile fails: the platform has no RLIMIT_NOFILE.
func setNoFile(n uint64) error {
	return errors.New("not applied: this platform has no RLIMIT_NOFILE (use Linux, macOS or WSL2)")
}

// listenWithBacklog fails: the platform gives no way to choose the backlog.
func listenWithBacklog(backlog int) (net.Listener, error) {
	return nil, errors.New("a listen backlog cannot be chosen on this platform (use Linux, macOS or WSL2)")
}
