package session_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
	"github.com/taskoverflow-lab/taskoverflow/session"
)

// tlsRedis is a redis-server that speaks only TLS and requires a password, as
// ElastiCache with transit encryption and an AUTH token does.
type tlsRedis struct {
	addr   string // 127.0.0.1:port
	caFile string // the throwaway CA that signed its certificate
	pass   string
}

// startTLSRedis makes a CA and a server certificate for 127.0.0.1 and
// localhost, and starts redis-server on a TLS port only. It fails the test
// when redis-server is missing or was built without TLS.
func startTLSRedis(t *testing.T) tlsRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found: %v", err)
	}
	dir := t.TempDir()
	caFile, certFile, keyFile := writeCertificates(t, dir)
	port := freePort(t)
	r := tlsRedis{addr: "127.0.0.1:" + strconv.Itoa(port), caFile: caFile, pass: "auth-token-0123456789"}
	cmd := exec.Command(bin, "--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", caFile,
		"--tls-auth-clients", "no", "--requirepass", r.pass,
		"--save", "", "--appendonly", "no", "--dir", dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	// Ready when a TLS handshake with the CA succeeds.
	pool := x509.NewCertPool()
	ca, _ := os.ReadFile(caFile)
	pool.AppendCertsFromPEM(ca)
	for i := 0; ; i++ {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", r.addr, &tls.Config{RootCAs: pool})
		if err == nil {
			c.Close()
			return r
		}
		if i == 100 {
			t.Fatalf("redis-server with TLS on %s did not come up (%v); its output:\n%s", r.addr, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeCertificates writes a CA certificate and a server certificate and key
// signed by it, for 127.0.0.1 and localhost, as PEM files in dir.
func writeCertificates(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "throwaway test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "redis"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("redis.pem", "CERTIFICATE", der), write("redis.key", "EC PRIVATE KEY", keyDER)
}

// TestRedisOverTLSWithAuth: a rediss:// URL dials TLS and checks the server's
// certificate, and REDIS_PASSWORD authenticates, against a real redis-server
// that accepts nothing else.
func TestRedisOverTLSWithAuth(t *testing.T) {
	r := startTLSRedis(t)
	_, port, _ := net.SplitHostPort(r.addr)
	tests := []struct {
		name    string
		url     string
		pool    session.Options
		wantErr string // part of Ping's error; empty: sessions work
	}{
		// TLS checked against the CA, AUTH with the token: what the ECS task does.
		{"tls and auth", "rediss://" + r.addr + "/0", session.Options{Password: r.pass, CAFile: r.caFile}, ""},
		// The host name is checked too; localhost is in the certificate.
		{"tls by host name", "rediss://localhost:" + port + "/0", session.Options{Password: r.pass, CAFile: r.caFile}, ""},
		// REDIS_PASSWORD overrides a stale password in the URL.
		{"password overrides the url's", "rediss://:stale@" + r.addr + "/0", session.Options{Password: r.pass, CAFile: r.caFile}, ""},
		// Without the CA the certificate is not trusted: verification is on.
		{"unknown CA", "rediss://" + r.addr + "/0", session.Options{Password: r.pass}, "certificate"},
		// The server requires AUTH.
		{"no password", "rediss://" + r.addr + "/0", session.Options{CAFile: r.caFile}, "NOAUTH"},
		{"wrong password", "rediss://" + r.addr + "/0", session.Options{Password: "wrong", CAFile: r.caFile}, "WRONGPASS"},
		// Plain redis:// to a TLS port gets no answer it can read.
		{"plain text to a TLS port", "redis://" + r.addr + "/0", session.Options{Password: r.pass}, ""},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.pool.MaxActive, tt.pool.MaxIdle, tt.pool.IdleTimeout = 2, 1, time.Minute
			s, err := session.Open(tt.url, tt.pool, time.Minute, log)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = s.Ping(ctx)
			if tt.name == "plain text to a TLS port" {
				if err == nil {
					t.Fatal("Ping over plain text to a TLS-only port: got nil, want an error")
				}
				return
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Ping: got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Ping: %v", err)
			}
			token, err := s.Create(ctx, taskoverflow.Session{UserID: 7, Username: "tls"})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			got, err := s.Get(ctx, token)
			if err != nil || got.UserID != 7 {
				t.Fatalf("Get: got %+v, %v, want user 7", got, err)
			}
		})
	}
}

func TestOpenRejectsCAFileWithoutTLS(t *testing.T) {
	dir := t.TempDir()
	ca, _, _ := writeCertificates(t, dir)
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("not a certificate\n"), 0o600)
	tests := []struct {
		url, caFile, want string
	}{
		{"redis://127.0.0.1:1/0", ca, "REDIS_URL is not rediss://"},
		{"rediss://127.0.0.1:1/0", empty, "no PEM certificate"},
		{"rediss://127.0.0.1:1/0", filepath.Join(dir, "missing.pem"), "REDIS_TLS_CA_FILE"},
	}
	for _, tt := range tests {
		_, err := session.Open(tt.url, session.Options{MaxActive: 1, CAFile: tt.caFile}, time.Minute, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%s, CA %s): got %v, want an error containing %q", tt.url, filepath.Base(tt.caFile), err, tt.want)
		}
	}
}
