package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ServerOptions are the HTTP server's limits and timeouts.
type ServerOptions struct {
	Options
	MaxConns          int
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
}

// Server serves the API on a listener with at most MaxConns connections open,
// and shuts down gracefully: readiness turns 503, the listener closes, requests
// in flight finish.
type Server struct {
	http     *http.Server
	log      *slog.Logger
	draining atomic.Bool
	maxConns int
	open     prometheus.Gauge
}

// NewServer builds the server and registers its connection series with
// deps.Registry.
func NewServer(deps Deps, opts ServerOptions) *Server {
	s := &Server{log: deps.Log, maxConns: opts.MaxConns}
	s.open = prometheus.NewGauge(prometheus.GaugeOpts{Name: "http_open_connections", Help: "Client connections open."})
	maxConns := prometheus.NewGauge(prometheus.GaugeOpts{Name: "http_max_connections", Help: "MAX_CONNS: connections beyond it wait in the listen backlog."})
	maxConns.Set(float64(opts.MaxConns))
	deps.Registry.MustRegister(s.open, maxConns)
	s.http = &http.Server{
		Handler:           Routes(deps, opts.Options, &s.draining),
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(deps.Log.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler is the server's whole handler, for tests.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Serve accepts connections on ln until Shutdown; it returns nil after a
// Shutdown and the accept error otherwise.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(newLimitListener(ln, s.maxConns, s.open))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown turns readiness to 503, closes the listener and idle connections,
// and waits for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	return s.http.Shutdown(ctx)
}

// limitListener holds at most max connections open: Accept waits for one to
// close before taking the next from the kernel's backlog, as
// golang.org/x/net/netutil.LimitListener does, and counts the open ones.
type limitListener struct {
	net.Listener
	slots chan struct{}
	open  prometheus.Gauge
	done  chan struct{}
	once  sync.Once
}

func newLimitListener(ln net.Listener, max int, open prometheus.Gauge) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max), open: open, done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	l.open.Inc()
	return &limitConn{Conn: c, release: func() { l.open.Dec(); <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
