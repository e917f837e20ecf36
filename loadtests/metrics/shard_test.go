package metrics

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// TestShardsMergePercentileForPercentile deals samples spread over six
// orders of magnitude to three uneven shards, writes and reads back each
// shard's summary as "loadtest merge" does, and checks that the merge
// equals the same samples recorded in one place, for every percentile to
// a tenth, min, max and mean.
func TestShardsMergePercentileForPercentile(t *testing.T) {
	start := time.Unix(2000, 0)
	whole := NewRecorder(2, start)
	shards := []*Recorder{NewRecorder(1, start), NewRecorder(3, start), NewRecorder(2, start)}
	rng := rand.New(rand.NewPCG(7, 9))
	for i := range 20000 {
		d := time.Duration(math.Exp(rng.Float64()*math.Log(1e7))) * time.Microsecond // 1µs..10s
		r := &Result{Name: "GET /", Status: 200, Duration: d}
		whole.Shard(i).Request(r)
		// Uneven: 2/7, 1/7 and 4/7 of the samples.
		to := 2
		switch i % 7 {
		case 0, 1:
			to = 0
		case 2:
			to = 1
		}
		shards[to].Shard(i).Request(r)
	}
	var files []*Summary
	for i, rec := range shards {
		s := rec.Summary(start.Add(time.Second))
		s.Shard = &ShardInfo{RunID: "r", Segment: []string{"0:2/7", "2/7:3/7", "3/7:1"}[i], Sequence: "0,2/7,3/7,1", Histograms: HistogramSettings()}
		var buf bytes.Buffer
		if err := s.Write(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if back.Shard == nil || !reflect.DeepEqual(*back.Shard, *s.Shard) {
			t.Fatalf("shard info did not survive JSON: %+v", back.Shard)
		}
		files = append(files, back)
	}
	m, err := Merge(files...)
	if err != nil {
		t.Fatal(err)
	}
	if m.Shard != nil {
		t.Errorf("the merge kept a shard's identity: %+v", m.Shard)
	}
	got, want := m.Total().Duration, whole.Summary(start.Add(time.Second)).Total().Duration
	if got.Count() != 20000 || want.Count() != 20000 {
		t.Fatalf("counts: merged %d, whole %d, want 20000", got.Count(), want.Count())
	}
	for p := 0.0; p <= 100; p += 0.1 {
		if g, w := got.Percentile(p), want.Percentile(p); g != w {
			t.Errorf("p%.1f: merged %v, whole %v", p, g, w)
		}
	}
	if got.Min() != want.Min() || got.Max() != want.Max() || got.Mean() != want.Mean() {
		t.Errorf("min/max/mean: merged %v/%v/%v, whole %v/%v/%v", got.Min(), got.Max(), got.Mean(), want.Min(), want.Max(), want.Mean())
	}
}
