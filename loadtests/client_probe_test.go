package loadtests

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestProbeTellsAnOpenIdleConnectionFromAClosedOne checks the liveness
// check that systems without a socket peek use (and TLS uses when bytes
// wait): a moment's read.
func TestProbeTellsAnOpenIdleConnectionFromAClosedOne(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		name := "plain"
		if useTLS {
			name = "TLS"
		}
		t.Run(name, func(t *testing.T) {
			idle := make(chan net.Conn, 1)
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
			srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
				if s == http.StateIdle {
					idle <- c
				}
			}
			cfg := clientConfig{}
			if useTLS {
				srv.StartTLS()
				cfg.tls = srv.Client().Transport.(*http.Transport).TLSClientConfig
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			epoch := time.Now()
			c := newClient(cfg, func() int64 { return int64(time.Since(epoch)) + 1 }, newBuffers())
			t.Cleanup(c.closeIdle)
			req, _ := http.NewRequest("GET", srv.URL, nil)
			if _, err := c.do(context.Background(), time.Now().Add(5*time.Second), req, nil, &timing{}); err != nil {
				t.Fatal(err)
			}
			serverSide := <-idle
			var cc *clientConn
			for _, v := range c.conns {
				cc = v
			}
			if cc == nil {
				t.Fatal("no idle connection kept")
			}
			if !cc.probe() {
				t.Error("open idle connection: probe says closed")
			}
			serverSide.Close() // on TLS, a close_notify first
			time.Sleep(20 * time.Millisecond)
			if cc.probe() {
				t.Error("connection the server closed: probe says open")
			}
		})
	}
}
