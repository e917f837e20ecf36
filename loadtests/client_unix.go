//go:build linux || darwin

package loadtests

import (
	"errors"
	"net"
	"syscall"
)

// idlePeeker looks at an idle socket without reading from it or waiting: a
// peek of one byte (MSG_PEEK|MSG_DONTWAIT) finds nothing (open), a byte
// (data waiting) or the end of the stream (closed). It is made once per
// connection so that a look allocates nothing.
type idlePeeker struct {
	rc    syscall.RawConn
	look  func(fd uintptr) bool
	state idleState
	b     [1]byte
}

// newIdlePeeker returns a peeker for raw, nil when raw has no descriptor.
func newIdlePeeker(raw net.Conn) *idlePeeker {
	sc, ok := raw.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	p := &idlePeeker{rc: rc}
	p.look = func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), p.b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EAGAIN):
			p.state = idleOpen
		case err == nil && n > 0:
			p.state = idleData
		default:
			p.state = idleClosed
		}
		return true
	}
	return p
}

// peek returns what the socket holds; idleUnknown for a nil peeker.
func (p *idlePeeker) peek() idleState {
	if p == nil {
		return idleUnknown
	}
	if err := p.rc.Read(p.look); err != nil {
		return idleClosed
	}
	return p.state
}
