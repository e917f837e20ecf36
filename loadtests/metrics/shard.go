package metrics

import (
	"fmt"
	"time"
)

// HistogramSettings names the geometry of every histogram of a summary;
// summaries merge exactly only when theirs match.
func HistogramSettings() string {
	return fmt.Sprintf("hdr us %d..%d sigfigs %d", lowestMicros, highestMicros, sigFigs)
}

// ShardInfo says which part of a larger run a summary holds, when the run was
// split into segments (k6's execution segments) to be merged afterwards.
type ShardInfo struct {
	// RunID names the whole run: every shard of it carries the same one.
	RunID string `json:"run_id"`
	// Segment is this shard's part in k6's syntax, such as "1/3:2/3", of
	// Sequence, such as "0,1/3,2/3,1".
	Segment  string `json:"segment"`
	Sequence string `json:"sequence"`
	// Histograms is HistogramSettings where the shard ran.
	Histograms string `json:"histograms"`
	// StartAt is the start the shards agreed on (zero when none was);
	// Started is when this shard really started.
	StartAt time.Time `json:"start_at,omitzero"`
	Started time.Time `json:"started"`
	// Thresholds are the run's threshold expressions, for the merge to
	// judge the whole run once.
	Thresholds []string `json:"thresholds,omitempty"`
}
