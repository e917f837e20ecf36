package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every histogram of a run: microseconds from
// 1 µs to one hour with three significant digits (values are exact to 0.1%).
const (
	lowestMicros  = 1
	highestMicros = int64(time.Hour / time.Microsecond)
	sigFigs       = 3
)

// newDense returns the dense histogram the hot path records into.
func newDense() *hdrhistogram.Histogram {
	return hdrhistogram.New(lowestMicros, highestMicros, sigFigs)
}

// recordDense records d into h, clamping it to the histogram's range.
func recordDense(h *hdrhistogram.Histogram, d time.Duration) {
	_ = h.RecordValue(clampMicros(d))
}

func clampMicros(d time.Duration) int64 {
	us := int64(d / time.Microsecond)
	if us < 0 {
		return 0
	}
	if us > highestMicros {
		return highestMicros
	}
	return us
}

// Histogram is a latency distribution in microseconds. It is stored sparse
// (hdrhistogram's PackedHistogram), so thousands of them cost little, and it
// marshals to JSON as the standard base64 V2 compressed encoding. The zero
// value is empty and ready to use; a nil *Histogram reads as empty.
type Histogram struct {
	p *hdrhistogram.PackedHistogram
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{} }

func (h *Histogram) packed() *hdrhistogram.PackedHistogram {
	if h.p == nil {
		h.p = hdrhistogram.NewPacked(lowestMicros, highestMicros, sigFigs)
	}
	return h.p
}

// Record adds one value.
func (h *Histogram) Record(d time.Duration) {
	_ = h.packed().RecordValue(clampMicros(d))
}

// addDense adds every count of a dense histogram.
func (h *Histogram) addDense(d *hdrhistogram.Histogram) {
	if d.TotalCount() == 0 {
		return
	}
	h.packed().MergeFrom(d)
}

// Merge adds every count of o into h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.p == nil || o.p.TotalCount() == 0 {
		return
	}
	h.packed().Merge(o.p)
}

// Count returns how many values were recorded.
func (h *Histogram) Count() int64 {
	if h == nil || h.p == nil {
		return 0
	}
	return h.p.TotalCount()
}

// Percentile returns the value below which p percent (0-100) of the values
// fall, or 0 when the histogram is empty.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return micros(h.p.ValueAtPercentile(p))
}

// Min returns the smallest value, or 0 when empty.
func (h *Histogram) Min() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return micros(h.p.Min())
}

// Max returns the largest value, or 0 when empty.
func (h *Histogram) Max() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return micros(h.p.Max())
}

// Mean returns the average value, or 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.p.Mean() * float64(time.Microsecond))
}

func micros(v int64) time.Duration { return time.Duration(v) * time.Microsecond }

// MarshalJSON encodes h as HdrHistogram's base64 V2 compressed form, or null
// when it is empty.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	if h.Count() == 0 {
		return []byte("null"), nil
	}
	enc, err := h.p.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return json.Marshal(string(enc))
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	h.p = nil
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("histogram: want a base64 string: %w", err)
	}
	p, err := hdrhistogram.DecodePacked([]byte(s))
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	h.p = p
	return nil
}
