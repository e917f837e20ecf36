package loadtests

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// The HTTP clients a run can use (Options.HTTPClient).
const (
	// ClientLean is the VU's own HTTP/1.1 client, the default: no
	// goroutine of its own, fewer allocations, faster. Where a proxy
	// applies to the endpoint, ClientStd is used instead.
	ClientLean = "lean"
	// ClientStd is net/http's Transport (HTTP/1.1, a proxy when one
	// applies), one per VU.
	ClientStd = "std"
	// ClientHTTP2 is net/http's Transport speaking HTTP/2 only: over TLS
	// as negotiated, and unencrypted (h2c, prior knowledge) on http URLs.
	ClientHTTP2 = "h2"
)

// clientConfig is what every VU's client is built from; its zero value is
// the lean client keeping whole bodies.
type clientConfig struct {
	kind    string // ClientLean (or empty), ClientStd or ClientHTTP2, as chosen
	tls     *tls.Config
	proxy   func(*url.URL) (*url.URL, error)
	maxBody int64 // bytes of a body kept, 0 for all
	discard bool  // keep no body
}

// bodyLimit returns how many bytes of a body are kept, negative for all.
func (cfg clientConfig) bodyLimit() int64 {
	switch {
	case cfg.discard:
		return 0
	case cfg.maxBody > 0:
		return cfg.maxBody
	}
	return -1
}

// chooseClient returns the client to use for endpoint when kind is asked
// for (empty means ClientLean), and why when it is not the one asked for.
func chooseClient(kind string, endpoint *url.URL, proxy func(*url.URL) (*url.URL, error)) (use, why string) {
	if kind == "" {
		kind = ClientLean
	}
	if kind != ClientLean || proxy == nil {
		return kind, ""
	}
	p, err := proxy(endpoint)
	switch {
	case err != nil:
		return ClientStd, fmt.Sprintf("the proxy settings do not parse (%v): net/http's client reports it on each request", err)
	case p != nil:
		return ClientStd, fmt.Sprintf("requests to %s go through the proxy %s: net/http's client carries them", endpoint.Host, p.Redacted())
	}
	return kind, ""
}

// newHTTPClient returns a VU's client as cfg.kind says, on the run's clock
// and buffers.
func newHTTPClient(cfg clientConfig, clock func() int64, bufs *buffers) httpClient {
	switch cfg.kind {
	case ClientStd, ClientHTTP2:
		return newStdClient(cfg, clock, bufs)
	}
	return newClient(cfg, clock, bufs)
}

// stdClient is a VU's client on net/http's Transport: its own cookie jar
// and connections, phase timings from httptrace, redirects followed up to
// maxRedirects as the lean client does.
type stdClient struct {
	hc      *http.Client
	tr      *http.Transport
	maxBody int64
	clock   func() int64
	bufs    *buffers
	// sent and recv count bytes on the wire; the Transport's goroutines
	// add to them.
	sent, recv atomic.Int64
}

var _ httpClient = (*stdClient)(nil)

func newStdClient(cfg clientConfig, clock func() int64, bufs *buffers) *stdClient {
	c := &stdClient{maxBody: cfg.bodyLimit(), clock: clock, bufs: bufs}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	c.tr = &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &atomicCountingConn{Conn: conn, c: c}, nil
		},
		// As the lean client: no Accept-Encoding, bodies as the server sends them.
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 30 * time.Second,
	}
	if cfg.tls != nil {
		c.tr.TLSClientConfig = cfg.tls.Clone()
	}
	if cfg.proxy != nil {
		proxy := cfg.proxy
		c.tr.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
	}
	if cfg.kind == ClientHTTP2 {
		var p http.Protocols
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
		c.tr.Protocols = &p
	}
	jar, _ := cookiejar.New(nil)
	c.hc = &http.Client{
		Transport: c.tr,
		Jar:       jar,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	return c
}

func (c *stdClient) counted() (sent, recv int64) { return c.sent.Load(), c.recv.Load() }

func (c *stdClient) closeIdle() { c.tr.CloseIdleConnections() }

// do implements httpClient.
func (c *stdClient) do(ctx context.Context, deadline time.Time, req *http.Request, body []byte, tm *timing) (reply, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	// The trace's callbacks run on the Transport's goroutines.
	var at struct{ connStart, connDone, gotConn, wrote, firstByte atomic.Int64 }
	trace := &httptrace.ClientTrace{
		ConnectStart: func(string, string) { at.connStart.CompareAndSwap(0, c.clock()) },
		ConnectDone:  func(string, string, error) { at.connDone.Store(c.clock()) },
		GotConn:      func(httptrace.GotConnInfo) { at.gotConn.Store(c.clock()) },
		WroteRequest: func(httptrace.WroteRequestInfo) { at.wrote.Store(c.clock()) },
		GotFirstResponseByte: func() {
			at.firstByte.Store(c.clock())
		},
	}
	r := req.WithContext(httptrace.WithClientTrace(ctx, trace))
	if body != nil {
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) {
			if len(body) == 0 {
				return http.NoBody, nil
			}
			return io.NopCloser(bytes.NewReader(body)), nil
		}
		r.Body, _ = r.GetBody()
	}
	resp, err := c.hc.Do(r)
	tm.connStart, tm.connDone, tm.gotConn = at.connStart.Load(), at.connDone.Load(), at.gotConn.Load()
	tm.wrote, tm.firstByte = at.wrote.Load(), at.firstByte.Load()
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return reply{}, err
	}
	rep, err := readBody(resp, c.maxBody, &c.bufs.scratch)
	resp.Body.Close()
	tm.end = c.clock()
	if err != nil {
		return reply{}, err
	}
	return rep, nil
}

// atomicCountingConn counts the bytes of a Transport's connection.
type atomicCountingConn struct {
	net.Conn
	c *stdClient
}

func (cc *atomicCountingConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	cc.c.recv.Add(int64(n))
	return n, err
}

func (cc *atomicCountingConn) Write(p []byte) (int, error) {
	n, err := cc.Conn.Write(p)
	cc.c.sent.Add(int64(n))
	return n, err
}
