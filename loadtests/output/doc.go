// Package output holds the outputs of a run (loadtests.Output) that stream
// it elsewhere while it runs: a JSON-lines file of samples (JSONL) and the
// generator's own Prometheus metrics (Prometheus). The reports a run prints
// and writes at its end are in package report.
package output
