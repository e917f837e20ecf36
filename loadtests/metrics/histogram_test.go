package metrics

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactPercentile is the value at rank ceil(p/100*n) of the sorted samples,
// the definition HDR histograms approximate.
func exactPercentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(float64(len(sorted))*p/100 + 0.999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func TestPercentilesAgreeWithExactSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name string
		gen  func() time.Duration
	}{
		// Latencies spread evenly from 1 ms to 2 s.
		{"uniform", func() time.Duration { return time.Millisecond + time.Duration(rng.Int64N(int64(2*time.Second))) }},
		// A long tail, as a loaded server gives.
		{"exponential", func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(30*time.Millisecond)) }},
		// Mostly fast with a few requests stuck near a 60 s timeout.
		{"bimodal", func() time.Duration {
			if rng.IntN(100) < 3 {
				return 59*time.Second + time.Duration(rng.Int64N(int64(time.Second)))
			}
			return 2*time.Millisecond + time.Duration(rng.Int64N(int64(3*time.Millisecond)))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := NewRecorder(3, time.Unix(0, 0))
			var samples []time.Duration
			for i := range 20000 {
				d := tc.gen().Truncate(time.Microsecond)
				samples = append(samples, d)
				rec.Shard(i).Request(&Result{Name: "GET /", Duration: d})
			}
			slices.Sort(samples)
			s := rec.Summary(time.Unix(10, 0))
			h := s.Requests["GET /"].Duration
			for _, p := range []float64{50, 90, 95, 99, 99.9} {
				got, want := h.Percentile(p), exactPercentile(samples, p)
				// Three significant digits: within 0.1% (plus one microsecond of
				// rounding at the bottom of the range).
				tol := want/1000 + time.Microsecond
				if diff := (got - want).Abs(); diff > tol {
					t.Errorf("p%v: got %v, want %v (±%v)", p, got, want, tol)
				}
			}
			if got, want := h.Max(), samples[len(samples)-1]; (got - want).Abs() > want/1000+time.Microsecond {
				t.Errorf("max: got %v, want %v", got, want)
			}
			if got, want := h.Count(), int64(len(samples)); got != want {
				t.Errorf("count: got %d, want %d", got, want)
			}
		})
	}
}

func TestHistogramJSONRoundTrip(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, p := range []float64{0, 50, 99, 100} {
		if got, want := back.Percentile(p), h.Percentile(p); got != want {
			t.Errorf("p%v after round trip: got %v, want %v", p, got, want)
		}
	}
	var empty Histogram
	b, err = json.Marshal(&empty)
	if err != nil || string(b) != "null" {
		t.Errorf("empty histogram: got %s, %v; want null", b, err)
	}
	if err := json.Unmarshal([]byte(`"not base64!"`), &back); err == nil {
		t.Error("decoding garbage: got no error")
	}
}
