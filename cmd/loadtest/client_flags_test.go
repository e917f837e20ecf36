package main

import (
	"context"
	"strings"
	"testing"
)

func TestClientFlagsUsageErrors(t *testing.T) {
	srv, _ := statusServer(t, 200)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown client", []string{"--http-client", "curl"}, `HTTP client "curl": want lean, std or h2`},
		{"negative max body", []string{"--max-body", "-2"}, "--max-body -2: want a number of bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "throughput", "--vus", "1", "--duration", "100ms", "--endpoint", srv.URL}, tc.args...)
			code, _, stderr := runCLI(t, context.Background(), nil, args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("got exit %d, stderr:\n%s\nwant exit %d saying %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

func TestHTTPProxyFromTheEnvironmentIsUsedAndSaidOnce(t *testing.T) {
	// The proxy answers every request itself: api.example is never dialled.
	proxy, proxied := statusServer(t, 200)
	env := map[string]string{"HTTP_PROXY": proxy.URL}
	code, _, stderr := runCLI(t, context.Background(), env, "run", "throughput", "--vus", "2", "--duration", "200ms",
		"--path", "/", "--quiet", "--no-thresholds", "--max-body", "0", "--endpoint", "http://api.example")
	if code != exitOK {
		t.Errorf("exit code: got %d, want %d; stderr:\n%s", code, exitOK, stderr)
	}
	if n := strings.Count(stderr, "go through the proxy "+proxy.URL); n != 1 {
		t.Errorf("the proxy is said %d times, want once; stderr:\n%s", n, stderr)
	}
	if proxied.Load() == 0 {
		t.Error("the proxy got no request")
	}
}
