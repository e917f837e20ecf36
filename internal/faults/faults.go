// Package faults puts Shopify's toxiproxy, in-process, between the API and a
// backing service (Postgres, Redis), so that tests and the lab can make that
// service slow, silent or rude on demand: latency, a blackhole, connection
// resets, bandwidth. Listen and the Add methods return errors (the lab's
// slow-database case uses them); Start, StartURL and the named toxics fail a
// test instead. The server binary never links it.
package faults

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// TB is what the test helpers need of a test; testing.TB has it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Proxy is one toxiproxy proxy listening on loopback and forwarding to an
// upstream address.
type Proxy struct {
	// Addr is where the proxy listens (127.0.0.1:PORT): point the client here.
	Addr  string
	proxy *toxiproxy.Proxy
	seq   atomic.Int64
}

// Toxic names an added toxic, for Remove.
type Toxic string

// Listen starts a proxy to upstream (host:port) on a free loopback port; the
// caller closes it. It returns an error when the proxy cannot listen.
func Listen(name, upstream string) (*Proxy, error) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("toxiproxy %s -> %s: %w", name, upstream, err)
	}
	return &Proxy{Addr: p.Listen, proxy: p}, nil
}

// ListenURL starts a proxy to the host:port of rawURL (postgres://…,
// redis://…) and returns it with the URL rewritten to go through it.
func ListenURL(name, rawURL string) (*Proxy, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("faults: %s URL: %w", name, err)
	}
	p, err := Listen(name, u.Host)
	if err != nil {
		return nil, "", err
	}
	u.Host = p.Addr
	return p, u.String(), nil
}

// Close stops the proxy and closes the connections through it.
func (p *Proxy) Close() { p.proxy.Stop() }

// Start is Listen for a test: the proxy stops when the test ends, and one
// that cannot start fails the test.
func Start(tb TB, name, upstream string) *Proxy {
	tb.Helper()
	p, err := Listen(name, upstream)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(p.Close)
	return p
}

// StartURL is ListenURL for a test, as Start is Listen.
func StartURL(tb TB, name, rawURL string) (*Proxy, string) {
	tb.Helper()
	p, u, err := ListenURL(name, rawURL)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(p.Close)
	return p, u
}

// Stream is the direction a toxic acts on.
type Stream string

// The directions: upstream is client to service (queries, commands),
// downstream is service to client (results, replies).
const (
	Upstream   Stream = "upstream"
	Downstream Stream = "downstream"
)

// add adds a toxic of kind on stream with attrs and returns its name.
func (p *Proxy) add(kind string, stream Stream, attrs string) (Toxic, error) {
	name := fmt.Sprintf("%s_%s_%d", kind, stream, p.seq.Add(1))
	body := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":%s}`, name, kind, stream, attrs)
	if _, err := p.proxy.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
		return "", fmt.Errorf("toxiproxy: add %s: %w", kind, err)
	}
	return Toxic(name), nil
}

// must fails tb when err is set, and returns toxic.
func must(tb TB, toxic Toxic, err error) Toxic {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return toxic
}

// AddLatency delays every chunk on stream by ms milliseconds (jitter ms
// either side).
func (p *Proxy) AddLatency(stream Stream, ms, jitter int) (Toxic, error) {
	return p.add("latency", stream, fmt.Sprintf(`{"latency":%d,"jitter":%d}`, ms, jitter))
}

// AddBlackhole lets no data through on stream and never closes the
// connection: the service looks paused. Remove it to let data flow again on
// new connections (data sent meanwhile is lost).
func (p *Proxy) AddBlackhole(stream Stream) (Toxic, error) {
	return p.add("timeout", stream, `{"timeout":0}`)
}

// AddResetPeer resets (TCP RST) each connection after ms milliseconds once
// data arrives on stream.
func (p *Proxy) AddResetPeer(stream Stream, ms int) (Toxic, error) {
	return p.add("reset_peer", stream, fmt.Sprintf(`{"timeout":%d}`, ms))
}

// AddBandwidth limits stream to kbps kilobytes a second.
func (p *Proxy) AddBandwidth(stream Stream, kbps int) (Toxic, error) {
	return p.add("bandwidth", stream, fmt.Sprintf(`{"rate":%d}`, kbps))
}

// RemoveToxic takes toxic away; connections go back to normal.
func (p *Proxy) RemoveToxic(toxic Toxic) error {
	if err := p.proxy.Toxics.RemoveToxic(context.Background(), string(toxic)); err != nil {
		return fmt.Errorf("toxiproxy: remove %s: %w", toxic, err)
	}
	return nil
}

// Latency is AddLatency for a test: an error fails it.
func (p *Proxy) Latency(tb TB, stream Stream, ms, jitter int) Toxic {
	tb.Helper()
	t, err := p.AddLatency(stream, ms, jitter)
	return must(tb, t, err)
}

// Blackhole is AddBlackhole for a test.
func (p *Proxy) Blackhole(tb TB, stream Stream) Toxic {
	tb.Helper()
	t, err := p.AddBlackhole(stream)
	return must(tb, t, err)
}

// ResetPeer is AddResetPeer for a test.
func (p *Proxy) ResetPeer(tb TB, stream Stream, ms int) Toxic {
	tb.Helper()
	t, err := p.AddResetPeer(stream, ms)
	return must(tb, t, err)
}

// Bandwidth is AddBandwidth for a test.
func (p *Proxy) Bandwidth(tb TB, stream Stream, kbps int) Toxic {
	tb.Helper()
	t, err := p.AddBandwidth(stream, kbps)
	return must(tb, t, err)
}

// Remove is RemoveToxic for a test.
func (p *Proxy) Remove(tb TB, toxic Toxic) {
	tb.Helper()
	if err := p.RemoveToxic(toxic); err != nil {
		tb.Fatalf("%v", err)
	}
}
