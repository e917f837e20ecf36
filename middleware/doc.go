// Package middleware holds the server's func(http.Handler) http.Handler
// layers, applied in this order: RequestID (the correlation id), Log (one line
// per finished request), Recover (a panic becomes a 500 JSON error),
// BodyTimeout (a body must arrive within REQUEST_BODY_TIMEOUT), Limit (at
// most MAX_INFLIGHT requests in flight, beyond it 503) and Metrics (Prometheus
// counts and latency by route pattern).
package middleware
