package loadtests

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxRedirects is how many redirects a request follows, as k6's default.
const maxRedirects = 10

// maxInterim bounds the 1xx responses (100 Continue, 103 Early Hints) read
// before the final one.
const maxInterim = 10

// httpClient is what a VU sends its requests through: the lean client, or
// net/http's (stdClient) where the lean one does not go (a proxy, HTTP/2).
type httpClient interface {
	// do sends req (with body, which may be nil) until deadline or the end
	// of ctx, follows redirects, and returns the final response with its
	// body read as the body limit says. The response's Body is drained and
	// closed. It returns the transport's error when no complete response
	// came.
	do(ctx context.Context, deadline time.Time, req *http.Request, body []byte, tm *timing) (reply, error)
	// counted returns the bytes sent and received on the wire so far, TLS
	// and bodies read past the limit included.
	counted() (sent, recv int64)
	// closeIdle closes every connection.
	closeIdle()
}

// reply is a response and what of its body was kept.
type reply struct {
	resp *http.Response
	// body is the body kept: all of it, or its first bytes up to the limit.
	body []byte
	// size is the length of the whole body as received.
	size int64
	// truncated tells that the body was longer than the limit: the rest was
	// read and dropped.
	truncated bool
}

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
	// maxBody is how many bytes of a body are kept, negative for all.
	maxBody int64
	cfg     clientConfig
	// viaProxy remembers, per host, whether cfg.proxy sends it through a
	// proxy; std then carries its requests.
	viaProxy map[hostKey]bool
	std      *stdClient
	// sent and recv count bytes on the wire, TLS included.
	sent, recv int64
	clock      func() int64
}

var _ httpClient = (*client)(nil)

// timing holds the moments of one request on the run's monotonic clock
// (nanoseconds, 0 when the moment did not happen).
type timing struct {
	start, connStart, connDone, gotConn, wrote, firstByte, end int64
}

type clientConn struct {
	raw   net.Conn    // the TCP connection
	peek  *idlePeeker // the liveness check on raw, nil when the system has none
	c     net.Conn    // raw, or TLS over it
	isTLS bool
	// lastUsed is when the last exchange ended, on the run's clock.
	lastUsed int64
}

// freshConn is, where the system cannot peek at a socket, how recently a
// connection must have been used to be reused without reading from it to
// check that the server kept it open.
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

func newClient(cfg clientConfig, clock func() int64, bufs *buffers) *client {
	jar, _ := cookiejar.New(nil)
	return &client{
		cfg:     cfg,
		tls:     cfg.tls,
		maxBody: cfg.bodyLimit(),
		jar:     jar,
		dialer:  net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		conns:   map[string]*clientConn{},
		bufs:    bufs,
		clock:   clock,
	}
}

// hostKey names a scheme and host.
type hostKey struct{ scheme, host string }

// proxied tells whether requests to u go through a proxy, which the lean
// client does not speak: net/http's client carries them.
func (c *client) proxied(u *url.URL) bool {
	if c.cfg.proxy == nil {
		return false
	}
	k := hostKey{u.Scheme, u.Host}
	via, ok := c.viaProxy[k]
	if !ok {
		p, err := c.cfg.proxy(u)
		via = p != nil || err != nil
		if c.viaProxy == nil {
			c.viaProxy = map[hostKey]bool{}
		}
		c.viaProxy[k] = via
	}
	return via
}

// stdClient returns the net/http client for proxied hosts, made on first
// use.
func (c *client) stdClient() *stdClient {
	if c.std == nil {
		c.std = newStdClient(c.cfg, c.clock, c.bufs)
	}
	return c.std
}

// closeIdle closes every connection.
func (c *client) closeIdle() {
	if c.std != nil {
		c.std.closeIdle()
	}
	for k, cc := range c.conns {
		cc.c.Close()
		delete(c.conns, k)
	}
}

func (c *client) counted() (sent, recv int64) {
	if c.std != nil {
		s, r := c.std.counted()
		return c.sent + s, c.recv + r
	}
	return c.sent, c.recv
}

// do implements httpClient. Requests to a host a proxy applies to go
// through net/http's client. Redirects are followed as net/http does: 301,
// 302 and 303 turn the request into a GET without a body (and without the
// headers that describe it), 307 and 308 send it again as it was, and
// credentials (Authorization, Cookie and the like) set by the scenario are
// dropped for good at the first hop to a host that is neither the first
// request's nor one of its subdomains. Cookies from the jar follow their own
// scope.
func (c *client) do(ctx context.Context, deadline time.Time, req *http.Request, body []byte, tm *timing) (reply, error) {
	initial, ihdr := req.URL, req.Header
	strip, stripBody := false, false
	for hop := 0; ; hop++ {
		if c.proxied(req.URL) {
			return c.stdClient().do(ctx, deadline, req, body, tm)
		}
		r, err := c.once(ctx, deadline, req, body, tm, true)
		if err != nil {
			return reply{}, err
		}
		resp := r.resp
		if !isRedirect(resp.StatusCode) || hop == maxRedirects {
			return r, nil
		}
		loc := resp.Header.Get("Location")
		next, err := req.URL.Parse(loc)
		if err != nil || loc == "" {
			return r, nil
		}
		method := req.Method
		if resp.StatusCode != http.StatusTemporaryRedirect && resp.StatusCode != http.StatusPermanentRedirect {
			// 301, 302, 303: browsers, k6 and net/http follow with a GET
			// and no body.
			if method != http.MethodHead {
				method = http.MethodGet
			}
			body, stripBody = nil, true
		}
		if !strip && next.Host != initial.Host && !sameSite(next, initial) {
			strip = true
		}
		nreq, err := http.NewRequestWithContext(ctx, method, next.String(), nil)
		if err != nil {
			return r, nil
		}
		for k, vs := range ihdr {
			if !(strip && sensitiveHeader(k)) && !(stripBody && bodyHeader(k)) {
				nreq.Header[k] = vs
			}
		}
		req = nreq
	}
}

// sensitiveHeader tells whether a header carries credentials that net/http
// does not send on to another host.
func sensitiveHeader(k string) bool {
	switch k {
	case "Authorization", "Www-Authenticate", "Cookie", "Cookie2", "Proxy-Authorization", "Proxy-Authenticate":
		return true
	}
	return false
}

// bodyHeader tells whether a header describes the body, dropped with it.
func bodyHeader(k string) bool {
	switch k {
	case "Content-Encoding", "Content-Language", "Content-Location", "Content-Type":
		return true
	}
	return false
}

// sameSite tells whether dest's host is initial's or a subdomain of it,
// where net/http still sends the credentials of the first request.
func sameSite(dest, initial *url.URL) bool {
	d, i := strings.ToLower(dest.Hostname()), strings.ToLower(initial.Hostname())
	if d == i {
		return true
	}
	if strings.ContainsAny(d, ":%") || !strings.HasSuffix(d, i) {
		return false
	}
	return d[len(d)-len(i)-1] == '.'
}

// once makes one exchange on the host's connection, dialing when there is
// none or it was closed by the server while idle. A request that fails on a
// reused connection before any answer came, because the server closed it at
// that moment, is sent again on a new one when that is safe. The request's
// header is left as it came: the jar's cookies are added for the write only.
func (c *client) once(ctx context.Context, deadline time.Time, req *http.Request, body []byte, tm *timing, mayRetry bool) (reply, error) {
	own, hadOwn := req.Header["Cookie"]
	for _, ck := range c.jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	key := req.URL.Scheme + "://" + req.URL.Host
	cc := c.conns[key]
	if cc != nil && !cc.alive(c.clock()) {
		cc.c.Close()
		delete(c.conns, key)
		cc = nil
	}
	reused := cc != nil
	var r reply
	var keep bool
	var err error
	if cc == nil {
		cc, err = c.dial(ctx, deadline, req.URL, tm)
	}
	if err == nil {
		c.conns[key] = cc
		tm.gotConn = c.clock()
		r, keep, err = c.exchange(ctx, deadline, cc, req, body, tm)
	}
	if hadOwn {
		req.Header["Cookie"] = own
	} else {
		delete(req.Header, "Cookie")
	}
	if err != nil {
		if cc == nil {
			return reply{}, err
		}
		cc.c.Close()
		delete(c.conns, key)
		var nr noResponse
		if reused && mayRetry && ctx.Err() == nil && errors.As(err, &nr) && (nr.unsent || replayable(req)) {
			return c.once(ctx, deadline, req, body, tm, false)
		}
		return reply{}, err
	}
	if rc := r.resp.Cookies(); len(rc) > 0 {
		c.jar.SetCookies(req.URL, rc)
	}
	if r.resp.Close || !keep {
		cc.c.Close()
		delete(c.conns, key)
	}
	cc.lastUsed = c.clock()
	return r, nil
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
func (c *client) exchange(ctx context.Context, deadline time.Time, cc *clientConn, req *http.Request, body []byte, tm *timing) (r reply, keep bool, err error) {
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
		return reply{}, false, noResponse{err, true}
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
		return reply{}, false, noResponse{err, false}
	}
	tm.firstByte = c.clock()
	resp, err := http.ReadResponse(br, req)
	// 1xx responses (100 Continue, 103 Early Hints) come before the final
	// one, and are skipped as net/http's Transport does; 101 ends HTTP on
	// the connection.
	for n := 0; err == nil && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols; n++ {
		if n == maxInterim {
			return reply{}, false, fmt.Errorf("more than %d 1xx responses", maxInterim)
		}
		resp, err = http.ReadResponse(br, req)
	}
	if err != nil {
		return reply{}, false, err
	}
	r, err = readBody(resp, c.maxBody, &c.bufs.scratch)
	resp.Body.Close()
	tm.end = c.clock()
	if err != nil {
		return reply{}, false, err
	}
	return r, resp.StatusCode != http.StatusSwitchingProtocols, nil
}

// maxPresize bounds the buffer a Content-Length makes us allocate up front.
const maxPresize = 64 << 20

// readBody reads resp's whole body, keeping its first max bytes (all of it
// when max is negative) in a slice of its own, sized by the Content-Length
// when there is one; the rest is read and dropped, so that the connection
// stays fit for reuse. scratch pools buffers for bodies of unknown length.
func readBody(resp *http.Response, max int64, scratch *sync.Pool) (reply, error) {
	r := reply{resp: resp}
	if resp.Body == nil || resp.Body == http.NoBody {
		// HEAD, 1xx, 204, 304: no body whatever the Content-Length says.
		return r, nil
	}
	var err error
	switch n := resp.ContentLength; {
	case max == 0:
	case n >= 0 && n <= maxPresize && (max < 0 || n <= max):
		if n == 0 {
			break
		}
		r.body = make([]byte, n)
		var got int
		got, err = io.ReadFull(resp.Body, r.body)
		r.size = int64(got)
	default:
		buf := scratch.Get().(*bytes.Buffer)
		buf.Reset()
		src := io.Reader(resp.Body)
		if max >= 0 {
			src = io.LimitReader(resp.Body, max)
		}
		r.size, err = buf.ReadFrom(src)
		r.body = bytes.Clone(buf.Bytes())
		if buf.Cap() <= 1<<20 {
			scratch.Put(buf)
		}
	}
	if err == nil && max >= 0 {
		// Past the limit: read to the end and count, keep nothing.
		var n int64
		n, err = io.Copy(io.Discard, resp.Body)
		r.size += n
		r.truncated = n > 0
	}
	return r, err
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
	cc.peek = newIdlePeeker(raw)
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
// has not closed it and has sent nothing unasked. On TLS, what it sent may
// be a session ticket (harmless) or a close_notify alert (closed): TLS reads
// it to tell which. now is the run's clock.
func (cc *clientConn) alive(now int64) bool {
	switch cc.peek.peek() {
	case idleOpen:
		return true
	case idleClosed:
		return false
	case idleData:
		if !cc.isTLS {
			return false // out of step
		}
		return cc.probe()
	}
	// The system cannot peek: read when the connection was idle long
	// enough for a server to have closed it.
	return now-cc.lastUsed <= freshConn || cc.probe()
}

// probe reads from an idle connection for a moment: it is alive when the
// read times out with nothing read (a TLS session ticket is consumed on the
// way), and not when the server closed it or sent data.
func (cc *clientConn) probe() bool {
	cc.c.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	n, err := cc.c.Read(b[:])
	cc.c.SetReadDeadline(time.Time{})
	var ne net.Error
	return n == 0 && errors.As(err, &ne) && ne.Timeout()
}

// idleState is what a look at an idle socket found.
type idleState int

const (
	idleUnknown idleState = iota // the system cannot tell without reading
	idleOpen                     // open, nothing to read
	idleData                     // bytes are waiting
	idleClosed                   // the peer closed it, or it failed
)

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
