package loadtests

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestSegmentFlagsResolve(t *testing.T) {
	now := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	cases := []struct {
		args    []string
		env     map[string]string
		segment string // "" for a whole run
		seq     string
		runID   string
		err     string
	}{
		{args: nil},
		{args: []string{"--segment", "1/3:2/3", "--segment-sequence", "0,1/3,2/3,1", "--run-id", "r"}, segment: "1/3:2/3", seq: "0,1/3,2/3,1", runID: "r"},
		{args: []string{"--segment", "1/4:1/2", "--run-id", "r"}, segment: "1/4:1/2", seq: "0,1/4,1/2,1", runID: "r"},
		{args: []string{"--shard", "2/3", "--run-id", "r"}, segment: "2/3:1", seq: "0,1/3,2/3,1", runID: "r"},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "0", "SHARD_COUNT": "4", "RUN_ID": "k"}, segment: "0:1/4", seq: "0,1/4,1/2,3/4,1", runID: "k"},
		{env: map[string]string{"SHARD_INDEX": "1", "SHARD_COUNT": "2", "RUN_ID": "k"}, segment: "1/2:1", seq: "0,1/2,1", runID: "k"},
		{args: []string{"--shard", "0/2", "--start-at", "2026-12-01T20:00:30Z"}, segment: "0:1/2", seq: "0,1/2,1", runID: "start-20261201T200030Z"},
		{env: map[string]string{"JOB_COMPLETION_INDEX": "0"}, err: "SHARD_COUNT is not"},
		{args: []string{"--shard", "0/2"}, err: "needs --run-id"},
		{args: []string{"--shard", "3/2", "--run-id", "r"}, err: "0 <= I < N"},
		{args: []string{"--shard", "0/2", "--segment", "0:1/2", "--run-id", "r"}, err: "give one"},
		{args: []string{"--segment", "1/4:1/2", "--segment-sequence", "0,1/3,1", "--run-id", "r"}, err: "not one of the sequence"},
		{args: []string{"--segment-sequence", "0,1/3,1"}, err: "without --segment"},
		{args: []string{"--shard", "0/2", "--start-at", "2026-12-01T19:59:00Z"}, err: "in the past"},
		{args: []string{"--start-at", "tomorrow"}, err: "RFC 3339"},
	}
	for _, tc := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var f segmentFlags
		f.register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		sh, err := f.resolve(func(k string) string { return tc.env[k] }, now)
		name := strings.Join(tc.args, " ") + " " + fmtEnv(tc.env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one saying %q", name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if tc.segment == "" {
			if sh.part != nil {
				t.Errorf("%s: segment %s, want the whole run", name, sh.part.Segment())
			}
			continue
		}
		if sh.part.Segment() != tc.segment || sh.part.Sequence() != tc.seq || sh.runID != tc.runID {
			t.Errorf("%s: segment %s of %s, run %q; want %s of %s, run %q", name, sh.part.Segment(), sh.part.Sequence(), sh.runID, tc.segment, tc.seq, tc.runID)
		}
	}
}

func fmtEnv(env map[string]string) string {
	var b strings.Builder
	for k, v := range env {
		b.WriteString(k + "=" + v + " ")
	}
	return b.String()
}
