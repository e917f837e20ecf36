package session

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/gomodule/redigo/redis"
)

// dialSettings returns rawURL with cfg.Password in it, when set, and the dial
// options that check a rediss:// server's certificate against cfg.CAFile.
// Without a CA file a rediss:// URL is checked against the system's roots
// (ElastiCache's certificates chain to them); the host name is always checked.
// It returns an error for a CA file that cannot be read or holds no
// certificate, or that is given with a plain redis:// URL.
func dialSettings(rawURL string, cfg Options) (string, []redis.DialOption, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", nil, errors.New("REDIS_URL: cannot parse")
	}
	if cfg.Password != "" {
		var user string
		if u.User != nil {
			user = u.User.Username()
		}
		u.User = url.UserPassword(user, cfg.Password)
		rawURL = u.String()
	}
	if cfg.CAFile == "" {
		return rawURL, nil, nil
	}
	if u.Scheme != "rediss" {
		return "", nil, errors.New("REDIS_TLS_CA_FILE is set but REDIS_URL is not rediss://: Redis would be reached without TLS")
	}
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return "", nil, fmt.Errorf("REDIS_TLS_CA_FILE: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return "", nil, fmt.Errorf("REDIS_TLS_CA_FILE %s: no PEM certificate in it", cfg.CAFile)
	}
	return rawURL, []redis.DialOption{redis.DialTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})}, nil
}
