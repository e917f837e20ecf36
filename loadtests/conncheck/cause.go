package conncheck

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// Cause names why a connection failed to establish or ended.
type Cause string

// The causes a check tells apart. CauseEMFILE and CauseNoPort are limits on our side, not the
// target's.
const (
	// CauseRefused: the target answered the SYN with a reset (nothing listening, or a full
	// backlog with tcp_abort_on_overflow).
	CauseRefused Cause = "refused"
	// CauseTimeout: no handshake within the dial timeout (SYNs dropped, often a full accept
	// queue or a firewall).
	CauseTimeout Cause = "timeout"
	// CauseReset: the peer reset the connection.
	CauseReset Cause = "reset"
	// CauseEOF: the peer closed the connection cleanly.
	CauseEOF Cause = "eof"
	// CauseEMFILE: this process ran out of file descriptors (RLIMIT_NOFILE) or the system did.
	CauseEMFILE Cause = "emfile"
	// CauseNoPort: this machine ran out of local ports for the target address.
	CauseNoPort Cause = "no-local-port"
	// CauseUnreachable: no route to the target.
	CauseUnreachable Cause = "unreachable"
	// CauseOther: anything else.
	CauseOther Cause = "other"
)

// causes returns every cause in the order reports print them.
func causes() []Cause {
	return []Cause{
		CauseRefused, CauseTimeout, CauseReset, CauseEOF, CauseEMFILE, CauseNoPort, CauseUnreachable, CauseOther,
	}
}

// Classify returns the cause of a dial or read error.
func Classify(err error) Cause {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return CauseEOF
	case errors.Is(err, syscall.ECONNREFUSED):
		return CauseRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return CauseReset
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return CauseEMFILE
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return CauseNoPort
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return CauseUnreachable
	case errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, context.DeadlineExceeded):
		return CauseTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return CauseTimeout
	}
	return CauseOther
}
