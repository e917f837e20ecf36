package loadtests

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// ShardSet is what the shards of one split run say about the whole run.
type ShardSet struct {
	RunID, Sequence string
	Thresholds      []string
	// Skew is the latest real start minus the earliest (First).
	Skew        time.Duration
	First, Last time.Time
}

// CheckShards checks that summaries are the shards of one split run, each
// segment of its sequence exactly once, with the same run id and histogram
// settings. ok is false with no shard at all (plain runs merged side by
// side); err says why the set is incomplete.
func CheckShards(all []*metrics.Summary, paths []string) (set ShardSet, ok bool, err error) {
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
	set.RunID, set.Sequence, set.Thresholds = first.RunID, first.Sequence, first.Thresholds
	seq, err := ParseSegmentSequence(first.Sequence)
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
		if set.First.IsZero() || sh.Started.Before(set.First) {
			set.First = sh.Started
		}
		if sh.Started.After(set.Last) {
			set.Last = sh.Started
		}
	}
	set.Skew = set.Last.Sub(set.First)
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
