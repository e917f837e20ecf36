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
// in flight finish. At the limit, a new connection takes the place of the
// longest-idle keep-alive one.
type Server struct {
	http     *http.Server
	log      *slog.Logger
	draining atomic.Bool
	conns    *connLimit
}

// NewServer builds the server and registers its connection series with
// deps.Registry.
func NewServer(deps Deps, opts ServerOptions) *Server {
	open := prometheus.NewGauge(prometheus.GaugeOpts{Name: "http_open_connections", Help: "Client connections open."})
	maxConns := prometheus.NewGauge(prometheus.GaugeOpts{Name: "http_max_connections", Help: "MAX_CONNS: connections beyond it wait in the listen backlog."})
	maxConns.Set(float64(opts.MaxConns))
	evicted := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "http_idle_connections_evicted_total", Help: "Idle keep-alive connections closed at MAX_CONNS to serve a new one.",
	})
	deps.Registry.MustRegister(open, maxConns, evicted)
	s := &Server{log: deps.Log, conns: newConnLimit(opts.MaxConns, open, evicted)}
	s.http = &http.Server{
		Handler:           Routes(deps, opts.Options, &s.draining),
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		ReadTimeout:       opts.ReadTimeout,
		WriteTimeout:      opts.WriteTimeout,
		IdleTimeout:       opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(deps.Log.Handler(), slog.LevelWarn),
		ConnState:         s.conns.track,
	}
	return s
}

// Handler is the server's whole handler, for tests.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Serve accepts connections on ln until Shutdown; it returns nil after a
// Shutdown and the accept error otherwise.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(s.conns.listener(ln))
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

// connLimit holds at most max connections open. Accept takes a connection
// from the kernel, and when max are open it closes the longest-idle
// keep-alive connection (which the server reported through ConnState) to make
// room; when none is idle it waits for one to close or go idle, holding that
// one connection while the rest wait in the kernel's backlog. Connections in
// the middle of a request, or that have sent none yet, are never closed.
type connLimit struct {
	slots   chan struct{}
	open    prometheus.Gauge
	evicted prometheus.Counter

	mu       sync.Mutex
	idle     map[*limitConn]time.Time // idle since
	wentIdle chan struct{}            // a connection went idle (capacity 1)
}

func newConnLimit(max int, open prometheus.Gauge, evicted prometheus.Counter) *connLimit {
	return &connLimit{
		slots: make(chan struct{}, max), open: open, evicted: evicted,
		idle: map[*limitConn]time.Time{}, wentIdle: make(chan struct{}, 1),
	}
}

// track is the server's ConnState hook: it keeps which connections are idle.
func (l *connLimit) track(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if state == http.StateIdle {
		l.idle[lc] = time.Now()
		select {
		case l.wentIdle <- struct{}{}:
		default:
		}
		return
	}
	delete(l.idle, lc)
}

// evictIdle closes the longest-idle connection; false when none is idle.
func (l *connLimit) evictIdle() bool {
	l.mu.Lock()
	var oldest *limitConn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	if oldest != nil {
		delete(l.idle, oldest)
	}
	l.mu.Unlock()
	if oldest == nil {
		return false
	}
	l.evicted.Inc()
	oldest.Close()
	return true
}

// listener wraps ln with the limit.
func (l *connLimit) listener(ln net.Listener) *limitListener {
	return &limitListener{Listener: ln, limit: l, done: make(chan struct{})}
}

// limitListener accepts connections within its connLimit.
type limitListener struct {
	net.Listener
	limit *connLimit
	done  chan struct{}
	once  sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	lim := l.limit
	for {
		select {
		case lim.slots <- struct{}{}:
			lim.open.Inc()
			return &limitConn{Conn: c, release: func() { lim.open.Dec(); <-lim.slots }}, nil
		default:
		}
		if lim.evictIdle() {
			continue
		}
		select {
		case lim.slots <- struct{}{}:
			lim.open.Inc()
			return &limitConn{Conn: c, release: func() { lim.open.Dec(); <-lim.slots }}, nil
		case <-lim.wentIdle:
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		}
	}
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
