package loadtests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestMaxBodyKeepsTheStartAndCountsTheRest(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 1000)
	srv, conns := serverWith(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.Write(big[:5000])
			w.(http.Flusher).Flush()
			w.Write(big[5000:])
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		w.Write(big)
	}, nil)
	cases := []struct {
		name     string
		opts     Options
		wantBody int
	}{
		// The first 100 bytes are kept, the other 9,900 read and dropped.
		{"max body 100", Options{MaxBody: 100}, 100},
		// A bound larger than the body keeps all of it.
		{"max body above the size", Options{MaxBody: 1 << 20}, len(big)},
		// Discard keeps nothing.
		{"discard", Options{DiscardBodies: true}, 0},
	}
	for _, kind := range []string{ClientLean, ClientStd} {
		for _, tc := range cases {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				before := conns.n.Load()
				tc.opts.HTTPClient = kind
				s := oneVU(t, srv.URL, tc.opts, func(vu *VU) error {
					for _, path := range []string{"/length", "/chunked", "/length"} {
						r := vu.Get(path)
						if r.Err != nil || r.Status != 200 {
							return fmt.Errorf("%s: %d %v", path, r.Status, r.Err)
						}
						if len(r.Body) != tc.wantBody || !bytes.Equal(r.Body, big[:tc.wantBody]) {
							return fmt.Errorf("%s: kept %d bytes, want the first %d", path, len(r.Body), tc.wantBody)
						}
						if r.Size != int64(len(big)) || r.Truncated != (tc.wantBody < len(big)) {
							return fmt.Errorf("%s: size %d truncated %v, want %d %v", path, r.Size, r.Truncated, len(big), tc.wantBody < len(big))
						}
					}
					return nil
				})
				if len(s.Errors) > 0 {
					t.Fatalf("errors: %+v", s.Errors)
				}
				// Bodies read to the end: one connection carries all three.
				if got := conns.n.Load() - before; got != 1 {
					t.Errorf("connections: got %d, want 1", got)
				}
				if got := s.Total().BytesReceived; got < 3*int64(len(big)) {
					t.Errorf("bytes received: got %d, want at least %d (dropped bytes counted)", got, 3*len(big))
				}
			})
		}
	}
}

func TestAProxyForTheEndpointPicksTheStdClient(t *testing.T) {
	var proxied atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(target.Close)
	forward := &http.Transport{}
	t.Cleanup(forward.CloseIdleConnections)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		out := r.Clone(r.Context())
		out.RequestURI = ""
		resp, err := forward.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	pu, _ := url.Parse(proxy.URL)
	via := func(*url.URL) (*url.URL, error) { return pu, nil }

	opts := Options{Endpoint: target.URL, Proxy: via}
	if use, why := opts.HTTPClientUsed(); use != ClientStd || !strings.Contains(why, "proxy "+pu.Redacted()) {
		t.Errorf("with a proxy: got %q (%q), want %q saying which proxy", use, why, ClientStd)
	}
	s := oneVU(t, target.URL, opts, func(vu *VU) error {
		for range 3 {
			if r := vu.Get("/"); r.Status != 200 || string(r.Body) != "ok" {
				return fmt.Errorf("got %d %q %v", r.Status, r.Body, r.Err)
			}
		}
		return nil
	})
	if len(s.Errors) > 0 || proxied.Load() != 3 {
		t.Errorf("through the proxy: %d requests, errors %+v; want 3 and none", proxied.Load(), s.Errors)
	}

	// No proxy for this host (NO_PROXY): the lean client, and nothing said.
	none := Options{Endpoint: target.URL, Proxy: func(*url.URL) (*url.URL, error) { return nil, nil }}
	if use, why := none.HTTPClientUsed(); use != ClientLean || why != "" {
		t.Errorf("no proxy applies: got %q (%q), want %q and no reason", use, why, ClientLean)
	}
	// Asked for, std is used without a word.
	std := Options{Endpoint: target.URL, HTTPClient: ClientStd}
	if use, why := std.HTTPClientUsed(); use != ClientStd || why != "" {
		t.Errorf("std asked for: got %q (%q)", use, why)
	}
}

func TestHTTP2AskedFor(t *testing.T) {
	proto := func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.Proto)) }
	cases := []struct {
		name  string
		start func(*httptest.Server)
		want  string
	}{
		// Over TLS, negotiated by ALPN.
		{"TLS", func(s *httptest.Server) { s.EnableHTTP2 = true; s.StartTLS() }, "HTTP/2.0"},
		// Unencrypted, with prior knowledge (h2c).
		{"h2c", func(s *httptest.Server) {
			var p http.Protocols
			p.SetHTTP1(true)
			p.SetUnencryptedHTTP2(true)
			s.Config.Protocols = &p
			s.Start()
		}, "HTTP/2.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(proto))
			tc.start(srv)
			t.Cleanup(srv.Close)
			opts := Options{HTTPClient: ClientHTTP2}
			if srv.TLS != nil {
				opts.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
			}
			s := oneVU(t, srv.URL, opts, func(vu *VU) error {
				if r := vu.Get("/"); string(r.Body) != tc.want {
					return fmt.Errorf("got %d %q %v, want %q", r.Status, r.Body, r.Err, tc.want)
				}
				return nil
			})
			if len(s.Errors) > 0 || s.Total().Count != 1 {
				t.Errorf("requests %d, errors %+v", s.Total().Count, s.Errors)
			}
		})
	}
}

func TestClientOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{Endpoint: "http://127.0.0.1:1", HTTPClient: "curl"},
		{Endpoint: "http://127.0.0.1:1", MaxBody: -1},
	} {
		if err := o.validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: got %v, want ErrInvalid", o, err)
		}
	}
}

func TestProxyFromEnv(t *testing.T) {
	env := map[string]string{"HTTP_PROXY": "http://proxy.example:3128", "no_proxy": "api.internal"}
	proxy := ProxyFromEnv(func(k string) string { return env[k] })
	cases := []struct {
		target string
		want   string // the proxy, empty for none
	}{
		{"http://api.example/x", "http://proxy.example:3128"},
		{"http://api.internal/x", ""},  // NO_PROXY
		{"http://127.0.0.1:6400/", ""}, // loopback never
		{"https://api.example/", ""},   // no HTTPS_PROXY
	}
	for _, tc := range cases {
		u, _ := url.Parse(tc.target)
		p, err := proxy(u)
		got := ""
		if p != nil {
			got = p.String()
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q %v, want %q", tc.target, got, err, tc.want)
		}
	}
	if ProxyFromEnv(func(string) string { return "" }) != nil {
		t.Error("no proxy set: got a proxy function, want nil")
	}
}

func TestLeanClientSendsProxiedHostsThroughStd(t *testing.T) {
	srv, _ := serverWith(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("direct")) }, nil)
	var proxied atomic.Int64
	// The proxy answers for api.example itself: nothing is dialled out.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		fmt.Fprintf(w, "proxied %s", r.URL.Host)
	}))
	t.Cleanup(proxy.Close)
	pu, _ := url.Parse(proxy.URL)
	// Only api.example goes through the proxy (the endpoint is in NO_PROXY).
	opts := Options{Proxy: func(u *url.URL) (*url.URL, error) {
		if u.Host == "api.example" {
			return pu, nil
		}
		return nil, nil
	}}
	s := oneVU(t, srv.URL, opts, func(vu *VU) error {
		for range 2 {
			if r := vu.Get("/"); string(r.Body) != "direct" {
				return fmt.Errorf("endpoint: got %d %q %v", r.Status, r.Body, r.Err)
			}
			if r := vu.Get("http://api.example/x"); string(r.Body) != "proxied api.example" {
				return fmt.Errorf("other host: got %d %q %v", r.Status, r.Body, r.Err)
			}
		}
		return nil
	})
	if len(s.Errors) > 0 || proxied.Load() != 2 {
		t.Errorf("proxied %d, errors %+v; want 2 and none", proxied.Load(), s.Errors)
	}
	if got := s.Requests["GET /x"]; got == nil || got.BytesReceived == 0 {
		t.Errorf("proxied requests' bytes: got %+v, want counted", got)
	}
}
