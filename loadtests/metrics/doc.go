// Package metrics aggregates what a load run measures and keeps it in a form
// that merges exactly.
//
// A Recorder takes results from the virtual users with little contention on
// the hot path: each VU writes into one of a few shards, each with its own
// lock, dense HDR histograms and counters, so VUs of different shards never
// wait for each other. Once a second the Recorder closes a point of the
// time series; at the end it builds a Summary. A Summary holds every histogram
// in HdrHistogram's V2 compressed encoding, so two summaries written by runs
// made side by side merge into exactly the summary one run would have made.
//
// Thresholds (k6's "checks>0.99", "http_req_duration{p95}<500ms") are parsed
// and evaluated against a Summary.
package metrics
