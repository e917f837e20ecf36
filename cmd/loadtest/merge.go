package main

import (
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// exitIncomplete: the shards given to merge are not the whole run.
const exitIncomplete = loadtests.ExitIncomplete

// shardSet is what the shards of one split run say about the whole run.
type shardSet struct {
	runID, sequence string
	thresholds      []string
	skew            time.Duration
	first, last     time.Time
}

// checkShards checks that summaries are the shards of one split run, each
// segment of its sequence exactly once, with the same run id and histogram
// settings. ok is false with no shard at all (plain runs merged side by
// side); err says why the set is incomplete.
func checkShards(all []*metrics.Summary, paths []string) (set shardSet, ok bool, err error) {
	var shards, plain []string
	for i, s := range all {
		if s.Shard != nil {
			shards = append(shards, paths[i])
		} else {
			plain = append(plain, paths[i])
		}
	}
	if len(shards) == 0 {
		return set, false, nil
	}
	if len(plain) > 0 {
		return set, true, fmt.Errorf("%s: not a shard (no segment), merged with shards %s", strings.Join(plain, ", "), strings.Join(shards, ", "))
	}
	first := all[0].Shard
	set.runID, set.sequence, set.thresholds = first.RunID, first.Sequence, first.Thresholds
	seq, err := loadtests.ParseSegmentSequence(first.Sequence)
	if err != nil {
		return set, true, fmt.Errorf("%s: %v", paths[0], err)
	}
	got := map[string][]string{} // segment -> paths
	for i, s := range all {
		sh := s.Shard
		switch {
		case sh.RunID != first.RunID:
			return set, true, fmt.Errorf("%s is of run %q, %s of run %q", paths[i], sh.RunID, paths[0], first.RunID)
		case sh.Sequence != first.Sequence:
			return set, true, fmt.Errorf("%s is a segment of %s, %s of %s", paths[i], sh.Sequence, paths[0], first.Sequence)
		case sh.Histograms != first.Histograms || sh.Histograms != metrics.HistogramSettings():
			return set, true, fmt.Errorf("%s has histograms %q, %s %q (this merge reads %q): they cannot merge exactly",
				paths[i], sh.Histograms, paths[0], first.Histograms, metrics.HistogramSettings())
		case !slices.Equal(sh.Thresholds, first.Thresholds):
			return set, true, fmt.Errorf("%s has thresholds %q, %s %q", paths[i], sh.Thresholds, paths[0], first.Thresholds)
		}
		got[sh.Segment] = append(got[sh.Segment], paths[i])
		if set.first.IsZero() || sh.Started.Before(set.first) {
			set.first = sh.Started
		}
		if sh.Started.After(set.last) {
			set.last = sh.Started
		}
	}
	set.skew = set.last.Sub(set.first)
	var missing, twice []string
	want := map[string]bool{}
	for i := 0; i+1 < len(seq); i++ {
		seg := rat(seq[i]) + ":" + rat(seq[i+1])
		want[seg] = true
		switch n := len(got[seg]); {
		case n == 0:
			missing = append(missing, seg)
		case n > 1:
			twice = append(twice, seg+" ("+strings.Join(got[seg], ", ")+")")
		}
	}
	var stray []string
	for seg, p := range got {
		if !want[seg] {
			stray = append(stray, seg+" ("+strings.Join(p, ", ")+")")
		}
	}
	slices.Sort(stray)
	var why []string
	if len(missing) > 0 {
		why = append(why, "missing "+strings.Join(missing, ", "))
	}
	if len(twice) > 0 {
		why = append(why, "more than once "+strings.Join(twice, "; "))
	}
	if len(stray) > 0 {
		why = append(why, "not segments of the sequence "+strings.Join(stray, "; "))
	}
	if len(why) > 0 {
		return set, true, fmt.Errorf("run %q (segments %s): %s", first.RunID, first.Sequence, strings.Join(why, "; "))
	}
	return set, true, nil
}

func rat(r *big.Rat) string { return r.RatString() }

// mergeShards says what the shards add up to, and returns the exit code
// when they are not the whole run.
func mergeShards(all []*metrics.Summary, paths []string, o *outputs, stderr io.Writer) (code int, isShards bool) {
	set, ok, err := checkShards(all, paths)
	if !ok {
		return exitOK, false
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest merge: incomplete: %v; no verdict\n", err)
		return exitIncomplete, true
	}
	fmt.Fprintf(stderr, "loadtest merge: run %q complete: %d shards cover %s exactly once\n", set.runID, len(all), set.sequence)
	note := ""
	if set.skew > loadtests.ClockSkewBound {
		note = fmt.Sprintf(" (more than %s: the shards did not start together; were their clocks in sync?)", loadtests.ClockSkewBound)
	}
	fmt.Fprintf(stderr, "loadtest merge: start skew %s between the first shard (%s) and the last%s\n",
		set.skew.Round(time.Microsecond), set.first.UTC().Format(time.RFC3339Nano), note)
	// The run's own thresholds, then those given to merge: judged once, on
	// the merged result.
	o.thresholds = append(append(listFlag(nil), set.thresholds...), o.thresholds...)
	return exitOK, true
}
