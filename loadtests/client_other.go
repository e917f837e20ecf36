//go:build !(linux || darwin)

package loadtests

import "net"

// idlePeeker cannot look at a socket without reading from it here: the
// client reads for a moment instead (clientConn.probe).
type idlePeeker struct{}

func newIdlePeeker(net.Conn) *idlePeeker { return nil }

func (*idlePeeker) peek() idleState { return idleUnknown }
