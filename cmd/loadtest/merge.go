package main

import (
	"fmt"
	"io"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// exitIncomplete: the shards given to merge are not the whole run.
const exitIncomplete = loadtests.ExitIncomplete

// mergeShards says what the shards add up to, and returns the exit code
// when they are not the whole run.
func mergeShards(all []*metrics.Summary, paths []string, o *outputs, stderr io.Writer) (code int, isShards bool) {
	set, ok, err := loadtests.CheckShards(all, paths)
	if !ok {
		return exitOK, false
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest merge: incomplete: %v; no verdict\n", err)
		return exitIncomplete, true
	}
	fmt.Fprintf(stderr, "loadtest merge: run %q complete: %d shards cover %s exactly once\n", set.RunID, len(all), set.Sequence)
	note := ""
	if set.Skew > loadtests.ClockSkewBound {
		note = fmt.Sprintf(" (more than %s: the shards did not start together; were their clocks in sync?)", loadtests.ClockSkewBound)
	}
	fmt.Fprintf(stderr, "loadtest merge: start skew %s between the first shard (%s) and the last%s\n",
		set.Skew.Round(time.Microsecond), set.First.UTC().Format(time.RFC3339Nano), note)
	// The run's own thresholds, then those given to merge: judged once, on
	// the merged result.
	o.thresholds = append(append(listFlag(nil), set.Thresholds...), o.thresholds...)
	return exitOK, true
}
