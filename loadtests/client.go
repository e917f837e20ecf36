package loadtests

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// maxRedirects is how many redirects a request follows, as k6's default.
const maxRedirects = 10

// client is a VU's HTTP/1.1 client: a cookie jar and one keep-alive
// connection per host, driven by the VU's own goroutine. Unlike
// net/http.Transport, which runs a reader and a writer goroutine per
// connection, it starts none: a VU costs one goroutine, so thousands of
// sleeping VUs holding their connections stay cheap, and a request needs no
// hand-offs between goroutines. net/http still does the wire format
// (Request.Write, http.ReadResponse: chunked bodies, Connection: close).
type client struct {
	jar    *cookiejar.Jar
	dialer net.Dialer
	conns  map[string]*clientConn
	bufs   *buffers
	tls    *tls.Config
	// sent and recv count bytes on the wire, TLS included.
	sent, recv int64
	clock      func() int64
}

// timing holds the moments of one request on the run's monotonic clock
// (nanoseconds, 0 when the moment did not happen).
type timing struct {
	start, connStart, connDone, gotConn, wrote, firstByte, end int64
}

type clientConn struct {
	raw   net.Conn // the TCP connection, for the liveness check
	c     net.Conn // raw, or TLS over it
	isTLS bool
	// lastUsed is when the last exchange ended, on the run's clock.
	lastUsed int64
}

// freshConn is how recently a connection must have been used to be reused
// without checking that the server kept it open: servers close idle
// connections after seconds, not milliseconds.
const freshConn = int64(250 * time.Millisecond)

// buffers are shared by the VUs of a run: a connection holds a reader and
// a writer only during an exchange, so an idle VU holds none.
type buffers struct {
	readers, writers, scratch sync.Pool
}

func newBuffers() *buffers {
	b := &buffers{}
	b.readers.New = func() any { return bufio.NewReaderSize(nil, connBufferSize) }
	b.writers.New = func() any { return bufio.NewWriterSize(nil, connBufferSize) }
	b.scratch.New = func() any { return new(bytes.Buffer) }
	return b
}

func newClient(clock func() int64, bufs *buffers, tlsConfig *tls.Config) *client {
	jar, _ := cookiejar.New(nil)
	return &client{
		tls:    tlsConfig,
		jar:    jar,
		dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		conns:  map[string]*clientConn{},
		bufs:   bufs,
		clock:  clock,
	}
}

// closeIdle closes every connection.
func (c *client) closeIdle() {
	for k, cc := range c.conns {
		cc.c.Close()
		delete(c.conns, k)
	}
}

// do sends req (with body, which may be nil) until deadline or the end of
// ctx, whichever comes first, follows redirects,
// and returns the response with its whole body. The response's Body is
// already drained and closed.
func (c *client) do(ctx context.Context, deadline time.Time, req *http.Request, body []byte, tm *timing) (*http.Response, []byte, error) {
	for hop := 0; ; hop++ {
		resp, got, err := c.once(ctx, deadline, req, body, tm, true)
		if err != nil {
			return nil, nil, err
		}
		if !isRedirect(resp.StatusCode) || hop == maxRedirects {
			return resp, got, nil
		}
		next, err := req.URL.Parse(resp.Header.Get("Location"))
		if err != nil || resp.Header.Get("Location") == "" {
			return resp, got, nil
		}
		method := req.Method
		if resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
			// 301, 302, 303: browsers and k6 follow with a GET and no body.
			if method != http.MethodHead {
				method = http.MethodGet
			}
			body = nil
		}
		nreq, err := http.NewRequestWithContext(ctx, method, next.String(), nil)
		if err != nil {
			return resp, got, nil
		}
		for k, vs := range req.Header {
			if k != "Cookie" && (body != nil || (k != "Content-Type" && k != "Content-Length")) {
				nreq.Header[k] = vs
			}
		}
		req = nreq
	}
}

// once makes one exchange on the host's connection, dialing when there is
// none or it was closed by the server while idle. A request that fails on a
// reused connection before any answer came, because the server closed it at
// that moment, is sent again on a new one when that is safe.
func (c *client) once(ctx context.Context, deadline time.Time, req *http.Request, body []byte, tm *timing, mayRetry bool) (*http.Response, []byte, error) {
	for _, ck := range c.jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	key := req.URL.Scheme + "://" + req.URL.Host
	cc := c.conns[key]
	if cc != nil && c.clock()-cc.lastUsed > freshConn && !cc.alive() {
		cc.c.Close()
		delete(c.conns, key)
		cc = nil
	}
	reused := cc != nil
	if cc == nil {
		var err error
		if cc, err = c.dial(ctx, deadline, req.URL, tm); err != nil {
			return nil, nil, err
		}
		c.conns[key] = cc
	}
	tm.gotConn = c.clock()
	resp, got, keep, err := c.exchange(ctx, deadline, cc, req, body, tm)
	if err != nil {
		cc.c.Close()
		delete(c.conns, key)
		var nr noResponse
		if reused && mayRetry && ctx.Err() == nil && errors.As(err, &nr) && (nr.unsent || replayable(req)) {
			req.Header.Del("Cookie")
			return c.once(ctx, deadline, req, body, tm, false)
		}
		return nil, nil, err
	}
	if rc := resp.Cookies(); len(rc) > 0 {
		c.jar.SetCookies(req.URL, rc)
	}
	if resp.Close || !keep {
		cc.c.Close()
		delete(c.conns, key)
	}
	cc.lastUsed = c.clock()
	return resp, got, nil
}

// noResponse is an error before the first byte of a response arrived;
// unsent tells that the request could not even be written.
type noResponse struct {
	err    error
	unsent bool
}

func (e noResponse) Error() string { return e.err.Error() }
func (e noResponse) Unwrap() error { return e.err }

// exchange writes req on cc and reads the response and its body. keep
// tells whether the connection is fit for another request.
func (c *client) exchange(ctx context.Context, deadline time.Time, cc *clientConn, req *http.Request, body []byte, tm *timing) (resp *http.Response, got []byte, keep bool, err error) {
	cc.c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { cc.c.SetDeadline(time.Unix(1, 0)) })
	// ctx may end while the connection is in use: its deadline is then in
	// the past, and it must not be used again.
	defer func() { keep = stop() && keep }()

	bw := c.bufs.writers.Get().(*bufio.Writer)
	bw.Reset(cc.c)
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	err = req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	c.bufs.writers.Put(bw)
	if err != nil {
		return nil, nil, false, noResponse{err, true}
	}
	tm.wrote = c.clock()

	br := c.bufs.readers.Get().(*bufio.Reader)
	br.Reset(cc.c)
	defer func() {
		// Bytes past the response mean the connection is out of step.
		keep = keep && br.Buffered() == 0
		br.Reset(nil)
		c.bufs.readers.Put(br)
	}()
	if _, err := br.Peek(1); err != nil {
		return nil, nil, false, noResponse{err, false}
	}
	tm.firstByte = c.clock()
	resp, err = http.ReadResponse(br, req)
	if err != nil {
		return nil, nil, false, err
	}
	got, err = c.readBody(resp)
	resp.Body.Close()
	tm.end = c.clock()
	if err != nil {
		return nil, nil, false, err
	}
	return resp, got, true, nil
}

// maxPresize bounds the buffer a Content-Length makes us allocate up front.
const maxPresize = 64 << 20

// readBody reads a whole body into a slice of its own, sized by the
// Content-Length when there is one.
func (c *client) readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= maxPresize {
		if n == 0 {
			return nil, nil
		}
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	buf := c.bufs.scratch.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(resp.Body)
	b := bytes.Clone(buf.Bytes())
	if buf.Cap() <= 1<<20 {
		c.bufs.scratch.Put(buf)
	}
	return b, err
}

func (c *client) dial(ctx context.Context, deadline time.Time, u *url.URL, tm *timing) (*clientConn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	tm.connStart = c.clock()
	raw, err := c.dialer.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	tm.connDone = c.clock()
	cc := &clientConn{raw: raw, c: &countingConn{Conn: raw, c: c}}
	if u.Scheme == "https" {
		cfg := &tls.Config{}
		if c.tls != nil {
			cfg = c.tls.Clone()
		}
		cfg.ServerName, cfg.NextProtos = host, []string{"http/1.1"}
		tc := tls.Client(cc.c, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, err
		}
		cc.c, cc.isTLS = tc, true
	}
	return cc, nil
}

// alive tells whether an idle connection can carry a request: the server
// has not closed it (a peek without waiting finds no end of stream) and has
// sent nothing unasked (on plain HTTP; TLS may deliver session tickets).
func (cc *clientConn) alive() bool {
	sc, ok := cc.raw.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	var b [1]byte
	rerr := rc.Read(func(fd uintptr) bool {
		n, open := peekNoWait(fd, b[:])
		switch {
		case open:
			alive = true // open, nothing to read
		case n > 0:
			alive = cc.isTLS
		}
		return true
	})
	return rerr == nil && alive
}

// replayable tells whether a request may be sent twice, as net/http decides.
func replayable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return req.Header.Get("Idempotency-Key") != ""
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// countingConn counts the bytes a VU's connections carry on the wire.
type countingConn struct {
	net.Conn
	c *client
}

func (cc *countingConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	cc.c.recv += int64(n)
	return n, err
}

func (cc *countingConn) Write(p []byte) (int, error) {
	n, err := cc.Conn.Write(p)
	cc.c.sent += int64(n)
	return n, err
}
