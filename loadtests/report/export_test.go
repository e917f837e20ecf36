package report

import (
	"net/http/httptest"
	"testing"
)

// Chromium and Headless let the package's external tests (which can run a
// whole plan) drive the same headless Chromium as its own.
func Chromium(t *testing.T) string { return chromium(t) }

// Headless runs Chromium headless with args and returns its output.
func Headless(t *testing.T, bin string, args ...string) []byte { return headless(t, bin, args...) }

// APIMetrics serves "ok", 503 at /bad, and the API's series at /metrics.
func APIMetrics(t *testing.T) *httptest.Server { return apiMetrics(t) }
