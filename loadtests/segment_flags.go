package loadtests

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// StartAtPastBound is how far in the past --start-at may be: a shard
// started that late (its pod was scheduled late, say) starts at once and
// records it; one started later still is refused, as it would miss most of
// the run's shared timeline.
const StartAtPastBound = 10 * time.Second

// ClockSkewBound is the clock skew between shards the merge accepts
// without a warning: shards agree on a start by their own clocks, so their
// clocks must agree (NTP keeps them within milliseconds).
const ClockSkewBound = time.Second

// segmentFlags are the run command's flags that split a run across
// processes: which segment this process runs, of which run, from when.
type segmentFlags struct {
	segment, sequence, shard, runID, startAt string
}

func (f *segmentFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.segment, "segment", "", "run only this segment of the plan, k6's syntax such as `1/3:2/3` (the summary is a shard, for loadtest merge)")
	fs.StringVar(&f.sequence, "segment-sequence", "", "the segments the run is split into, such as `0,1/3,2/3,1` (default 0,FROM,TO,1)")
	fs.StringVar(&f.shard, "shard", "", "run shard `I/N`: segment I/N:(I+1)/N of N equal ones, I from 0 (default from $JOB_COMPLETION_INDEX or $SHARD_INDEX with $SHARD_COUNT)")
	fs.StringVar(&f.runID, "run-id", "", "name of the whole run, the same for every shard (default $RUN_ID, else derived from --start-at; a segment needs one)")
	fs.StringVar(&f.startAt, "start-at", "", "wait until `TIME` (RFC 3339, such as 2026-12-01T20:30:00Z) before starting, for shards to start together")
}

// sharding is what segmentFlags resolve to: nil part for a whole run.
type sharding struct {
	part    *Partition
	runID   string
	startAt time.Time
}

// resolve reads the flags, and the environment when no segment flag is
// given, and returns the sharding they ask for.
func (f *segmentFlags) resolve(getenv func(string) string, now time.Time) (sharding, error) {
	var sh sharding
	if f.startAt != "" {
		t, err := time.Parse(time.RFC3339, f.startAt)
		if err != nil {
			return sh, fmt.Errorf("--start-at %q: want RFC 3339, such as 2026-12-01T20:30:00Z", f.startAt)
		}
		if late := now.Sub(t); late > StartAtPastBound {
			return sh, fmt.Errorf("--start-at %s is %s in the past (more than %s): pick a time ahead", f.startAt, late.Round(time.Second), StartAtPastBound)
		}
		sh.startAt = t
	}
	shard := f.shard
	if shard == "" && f.segment == "" && f.sequence == "" {
		count := getenv("SHARD_COUNT")
		index, from := getenv("JOB_COMPLETION_INDEX"), "JOB_COMPLETION_INDEX"
		if index == "" {
			index, from = getenv("SHARD_INDEX"), "SHARD_INDEX"
		}
		switch {
		case index != "" && count == "":
			return sh, fmt.Errorf("%s is set and SHARD_COUNT is not: set it to the number of shards", from)
		case index == "" && count != "":
			return sh, fmt.Errorf("SHARD_COUNT is set and neither JOB_COMPLETION_INDEX nor SHARD_INDEX is")
		case index != "":
			shard = strings.TrimSpace(index) + "/" + strings.TrimSpace(count)
		}
	}
	var err error
	switch {
	case shard != "" && (f.segment != "" || f.sequence != ""):
		return sh, fmt.Errorf("--shard and --segment: give one")
	case shard != "":
		i, n, perr := ParseShard(shard)
		if perr != nil {
			return sh, perr
		}
		seq := ShardSequence(n)
		sh.part, err = NewPartition(seq[i], seq[i+1], seq)
	case f.segment != "":
		var seq []*big.Rat
		if f.sequence != "" {
			if seq, err = ParseSegmentSequence(f.sequence); err != nil {
				return sh, err
			}
		}
		from, to, perr := ParseSegment(f.segment)
		if perr != nil {
			return sh, perr
		}
		sh.part, err = NewPartition(from, to, seq)
	case f.sequence != "":
		return sh, fmt.Errorf("--segment-sequence without --segment: say which segment this process runs")
	}
	if err != nil {
		return sh, err
	}
	sh.runID = f.runID
	if sh.runID == "" {
		sh.runID = getenv("RUN_ID")
	}
	if sh.part != nil && sh.runID == "" {
		if sh.startAt.IsZero() {
			return sh, fmt.Errorf("a segment needs --run-id (or --start-at to derive it from): every shard of a run names the same one")
		}
		sh.runID = "start-" + sh.startAt.UTC().Format("20060102T150405Z")
	}
	return sh, nil
}

// wait waits until the agreed start, or returns ctx's error.
func (sh sharding) wait(ctx context.Context, prog string, stderr io.Writer) error {
	if sh.startAt.IsZero() {
		return nil
	}
	d := time.Until(sh.startAt)
	if d <= 0 {
		fmt.Fprintf(stderr, "%s: --start-at %s was %s ago: starting at once\n", prog, sh.startAt.Format(time.RFC3339), (-d).Round(time.Millisecond))
		return nil
	}
	fmt.Fprintf(stderr, "%s: waiting %s for --start-at %s\n", prog, d.Round(time.Millisecond), sh.startAt.Format(time.RFC3339))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// output returns the output that writes the shard's identity into its
// summary, to go before every other output.
func (sh sharding) output(thresholds []string) *shardOutput {
	if sh.part == nil {
		return nil
	}
	return &shardOutput{info: metrics.ShardInfo{
		RunID: sh.runID, Segment: sh.part.Segment(), Sequence: sh.part.Sequence(),
		Histograms: metrics.HistogramSettings(), StartAt: sh.startAt, Thresholds: thresholds,
	}}
}

// shardOutput records when the shard really started, and puts the shard's
// identity into the summary before the other outputs write it.
type shardOutput struct{ info metrics.ShardInfo }

func (o *shardOutput) Start(info RunInfo) error { o.info.Started = info.Start; return nil }
func (o *shardOutput) AddSamples([]Sample)      {}
func (o *shardOutput) NoSamples() bool          { return true }
func (o *shardOutput) String() string           { return "shard" }

func (o *shardOutput) Stop(s *metrics.Summary) error {
	info := o.info
	s.Shard = &info
	return nil
}

// advisory says a shard's thresholds do not decide its exit code.
func (sh sharding) advisory(s *metrics.Summary, prog string, stderr io.Writer) {
	var crossed []string
	for _, t := range s.Thresholds {
		if !t.OK {
			crossed = append(crossed, t.Expr)
		}
	}
	say := "none crossed on this shard's own share"
	if len(crossed) > 0 {
		say = "crossed on this shard's own share: " + strings.Join(crossed, "; ")
	}
	fmt.Fprintf(stderr, "%s: segment %s of %s (run %s): thresholds are advisory on a shard (%s); exiting 0, judge the whole run with %s merge\n",
		prog, sh.part.Segment(), sh.part.Sequence(), strconv.Quote(sh.runID), say, prog)
}

// ExitIncomplete is "loadtest merge"'s exit code when the shards of a
// split run do not add up to the whole run: one is missing, one came twice,
// or they are of different runs or histogram settings. No verdict is given.
const ExitIncomplete = 4
