package output

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// JSONLine is one line of a JSONL file: one finished request.
type JSONLine struct {
	Time     time.Time `json:"time"`
	Scenario string    `json:"scenario"`
	VU       int       `json:"vu"`
	Name     string    `json:"name"`
	Method   string    `json:"method"`
	URL      string    `json:"url"`
	// Status is 0 when no response arrived.
	Status int `json:"status"`
	// Failure is the failure kind (see metrics.Result.Kind), empty for a
	// request that succeeded.
	Failure string `json:"failure,omitempty"`
	Message string `json:"message,omitempty"`
	// Durations in milliseconds, as k6's JSON output.
	Duration   float64 `json:"duration_ms"`
	Connecting float64 `json:"connecting_ms"`
	Waiting    float64 `json:"waiting_ms"`
	Receiving  float64 `json:"receiving_ms"`
	Sent       int64   `json:"bytes_sent"`
	Received   int64   `json:"bytes_received"`
	RequestID  string  `json:"request_id"`
}

// JSONL writes every sample of a run as one JSON object per line to a
// file, as k6's --out json.
type JSONL struct {
	path string
	f    *os.File
	w    *bufio.Writer
	enc  *json.Encoder
	err  error
}

// NewJSONL returns an output writing to path, created (or truncated) when
// the run starts.
func NewJSONL(path string) *JSONL { return &JSONL{path: path} }

// Start creates the file.
func (o *JSONL) Start(metrics.RunInfo) error {
	f, err := os.Create(o.path)
	if err != nil {
		return err
	}
	o.f = f
	o.w = bufio.NewWriterSize(f, 64<<10)
	o.enc = json.NewEncoder(o.w)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// AddSamples writes one line per sample; the first write error is kept
// for Stop.
func (o *JSONL) AddSamples(samples []metrics.Sample) {
	if o.err != nil {
		return
	}
	for i := range samples {
		s := &samples[i]
		line := JSONLine{
			Time: s.Start, Scenario: s.Scenario, VU: s.VU, Name: s.Name, Method: s.Method, URL: s.URL,
			Status: s.Status, Failure: s.Kind, Message: s.Message,
			Duration: ms(s.Duration), Connecting: ms(s.Connecting), Waiting: ms(s.Waiting), Receiving: ms(s.Receiving),
			Sent: s.Sent, Received: s.Received, RequestID: s.RequestID,
		}
		if err := o.enc.Encode(&line); err != nil {
			o.err = err
			return
		}
	}
}

// Stop flushes and closes the file.
func (o *JSONL) Stop(*metrics.Summary) error {
	if o.f == nil {
		return nil
	}
	err := o.err
	if ferr := o.w.Flush(); err == nil {
		err = ferr
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	return nil
}

func (o *JSONL) String() string { return "jsonl " + o.path }
