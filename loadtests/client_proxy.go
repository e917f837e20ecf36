package loadtests

import (
	"net/url"

	"golang.org/x/net/http/httpproxy"
)

// ProxyFromEnv returns the proxy function (for Options.Proxy) that
// HTTP_PROXY, HTTPS_PROXY and NO_PROXY (or their lower-case forms) describe,
// read through getenv, with net/http's rules: requests to localhost and
// loopback addresses never go through a proxy. It returns nil when none is
// set.
func ProxyFromEnv(getenv func(string) string) func(*url.URL) (*url.URL, error) {
	either := func(upper, lower string) string {
		if v := getenv(upper); v != "" {
			return v
		}
		return getenv(lower)
	}
	cfg := httpproxy.Config{
		HTTPProxy:  either("HTTP_PROXY", "http_proxy"),
		HTTPSProxy: either("HTTPS_PROXY", "https_proxy"),
		NoProxy:    either("NO_PROXY", "no_proxy"),
	}
	if cfg.HTTPProxy == "" && cfg.HTTPSProxy == "" {
		return nil
	}
	return cfg.ProxyFunc()
}
