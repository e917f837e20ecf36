// Package faults puts Shopify's toxiproxy, in-process, between the API and a
// backing service (Postgres, Redis), so tests can make that service slow,
// silent or rude on demand: latency, a blackhole, connection resets,
// bandwidth. Only tests import it; the server binary never links it.
package faults

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

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

// Start starts a proxy to upstream (host:port) on a free loopback port; it
// stops when the test ends. A proxy that cannot start fails the test.
func Start(tb testing.TB, name, upstream string) *Proxy {
	tb.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		tb.Fatalf("toxiproxy %s -> %s: %v", name, upstream, err)
	}
	tb.Cleanup(p.Stop)
	return &Proxy{Addr: p.Listen, proxy: p}
}

// StartURL starts a proxy to the host:port of rawURL (postgres://…,
// redis://…) and returns it with the URL rewritten to go through it.
func StartURL(tb testing.TB, name, rawURL string) (*Proxy, string) {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatalf("faults: %s URL: %v", name, err)
	}
	p := Start(tb, name, u.Host)
	u.Host = p.Addr
	return p, u.String()
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
func (p *Proxy) add(tb testing.TB, kind string, stream Stream, attrs string) Toxic {
	tb.Helper()
	name := fmt.Sprintf("%s_%s_%d", kind, stream, p.seq.Add(1))
	body := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":1,"attributes":%s}`, name, kind, stream, attrs)
	if _, err := p.proxy.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
		tb.Fatalf("toxiproxy: add %s: %v", kind, err)
	}
	return Toxic(name)
}

// Latency delays every chunk on stream by ms milliseconds (jitter ms either
// side).
func (p *Proxy) Latency(tb testing.TB, stream Stream, ms, jitter int) Toxic {
	tb.Helper()
	return p.add(tb, "latency", stream, fmt.Sprintf(`{"latency":%d,"jitter":%d}`, ms, jitter))
}

// Blackhole lets no data through on stream and never closes the
// connection: the service looks paused. Remove it to let data flow again on
// new connections (data sent meanwhile is lost).
func (p *Proxy) Blackhole(tb testing.TB, stream Stream) Toxic {
	tb.Helper()
	return p.add(tb, "timeout", stream, `{"timeout":0}`)
}

// ResetPeer resets (TCP RST) each connection after ms milliseconds once data
// arrives on stream.
func (p *Proxy) ResetPeer(tb testing.TB, stream Stream, ms int) Toxic {
	tb.Helper()
	return p.add(tb, "reset_peer", stream, fmt.Sprintf(`{"timeout":%d}`, ms))
}

// Bandwidth limits stream to kbps kilobytes a second.
func (p *Proxy) Bandwidth(tb testing.TB, stream Stream, kbps int) Toxic {
	tb.Helper()
	return p.add(tb, "bandwidth", stream, fmt.Sprintf(`{"rate":%d}`, kbps))
}

// Remove takes toxic away; connections go back to normal.
func (p *Proxy) Remove(tb testing.TB, toxic Toxic) {
	tb.Helper()
	if err := p.proxy.Toxics.RemoveToxic(context.Background(), string(toxic)); err != nil {
		tb.Fatalf("toxiproxy: remove %s: %v", toxic, err)
	}
}
