// Package testserver runs loopback HTTP servers with a known connection limit, the fixtures a
// connection check is proved against:
//
//   - Limited keeps at most K connections and closes any further one at once (a connector with
//     a maximum and no queue);
//   - StopAccepting serves the first K connections and then stops calling accept, so later
//     connections complete their handshake in the kernel's backlog and are never served;
//   - StartChild runs a server in a child process whose RLIMIT_NOFILE is set low, with a listen
//     backlog of our choice: the service that died at N connections.
//
// Every server listens on 127.0.0.1 only and answers any HTTP request with 200 "ok".
package testserver

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Server is an in-process loopback HTTP server whose listener enforces a limit.
type Server struct {
	// Addr is where the server listens.
	Addr netip.AddrPort
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// Limited starts a server that holds at most k connections: the k+1st is accepted and closed at
// once, until one of the k closes. It returns an error when it cannot listen.
func Limited(k int) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return serve(&limitListener{Listener: ln, max: int64(k)}), nil
}

// StopAccepting starts a server that accepts and serves its first k connections and then stops
// calling accept. It returns an error when it cannot listen.
func StopAccepting(k int) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return serve(&stopListener{Listener: ln, left: int64(k), closed: make(chan struct{})}), nil
}

func serve(ln net.Listener) *Server {
	s := &Server{
		Addr: ln.Addr().(*net.TCPAddr).AddrPort(),
		srv:  newHTTPServer(),
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s
}

// Port returns the port the server listens on.
func (s *Server) Port() int { return int(s.Addr.Port()) }

// Close stops the server and closes every connection it holds; it returns the listener's close
// error.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

func newHTTPServer() *http.Server {
	return &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "ok")
		}),
		ReadHeaderTimeout: time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
}

// limitListener closes connections beyond max as soon as it accepts them.
type limitListener struct {
	net.Listener
	max  int64
	open atomic.Int64
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			c.Close()
			continue
		}
		return &countedConn{Conn: c, open: &l.open}, nil
	}
}

// countedConn gives its slot back when closed.
type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// stopListener accepts left connections, then blocks until closed without calling accept again.
type stopListener struct {
	net.Listener
	left      int64
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *stopListener) Accept() (net.Conn, error) {
	if atomic.AddInt64(&l.left, -1) >= 0 {
		return l.Listener.Accept()
	}
	<-l.closed
	return nil, net.ErrClosed
}

func (l *stopListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// listenBacklog listens on 127.0.0.1 with an explicit accept-queue length (net.Listen always asks
// for somaxconn). A backlog of 0 or less uses net.Listen.
func listenBacklog(backlog int) (net.Listener, error) {
	if backlog <= 0 {
		return net.Listen("tcp", "127.0.0.1:0")
	}
	return listenWithBacklog(backlog)
}

// serveUntil serves on ln until ctx ends or in reaches EOF.
func serveUntil(ctx context.Context, ln net.Listener, in io.Reader) error {
	srv := newHTTPServer()
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		io.Copy(io.Discard, in)
		cancel()
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
