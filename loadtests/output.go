package loadtests

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// Output receives a run as it goes, in k6's shape: Start before the first
// iteration, samples of finished requests while it runs, Stop once it
// ended. The progress line, the text summary, summary.json and the HTML
// report are outputs (package report), as are the JSON-lines stream and
// the generator's Prometheus metrics (package output).
//
// AddSamples never slows the VUs: each output has a bounded buffer the
// VUs add to without waiting, and a goroutine of its own that hands the
// buffer's samples to AddSamples in batches. When an output falls behind,
// its buffer fills and further samples are dropped and counted
// (metrics.Generator.DroppedSamples); the summary and thresholds do not
// depend on outputs and lose nothing.
//
// An output may also implement
//
//	Progress(Progress)  // called each second with the live state, and at the end
//	NoSamples() bool    // true: it needs no samples (a summary writer), and costs the VUs nothing
//	String() string     // its name in the count of dropped samples
type Output interface {
	// Start is called before the run starts; an error stops the run
	// before it sends anything.
	Start(info RunInfo) error
	// AddSamples receives finished requests, in the order the VUs
	// finished them, on the output's own goroutine. The slice is reused
	// once AddSamples returns.
	AddSamples(samples []Sample)
	// Stop is called once the run ended, after every AddSamples, with the
	// run's summary and its thresholds evaluated.
	Stop(s *metrics.Summary) error
}

// Sample is one finished request (see metrics.Sample).
type Sample = metrics.Sample

// RunInfo describes a run to its outputs (see metrics.RunInfo).
type RunInfo = metrics.RunInfo

// OutputBuffer is how many samples an output's buffer holds.
const OutputBuffer = 16384

// sampleBatch is the most samples handed to AddSamples at once.
const sampleBatch = 512

// feed is one output's buffer and the goroutine that drains it.
type feed struct {
	out     Output
	ch      chan Sample
	dropped atomic.Int64
	done    chan struct{}
}

func outputName(o Output) string {
	if s, ok := o.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", o)
}

func wantsSamples(o Output) bool {
	n, ok := o.(interface{ NoSamples() bool })
	return !ok || !n.NoSamples()
}

func newFeed(o Output) *feed {
	f := &feed{out: o, ch: make(chan Sample, OutputBuffer), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		batch := make([]Sample, 0, sampleBatch)
		for s := range f.ch {
			batch = append(batch[:0], s)
		more:
			for len(batch) < sampleBatch {
				select {
				case s, ok := <-f.ch:
					if !ok {
						break more
					}
					batch = append(batch, s)
				default:
					break more
				}
			}
			f.out.AddSamples(batch)
		}
	}()
	return f
}

// emit hands a finished request to every output that takes samples,
// dropping it for an output whose buffer is full.
func (e *engine) emit(vu *VU, r *metrics.Result) {
	s := Sample{Scenario: vu.Scenario, VU: vu.ID, Result: *r}
	for _, f := range e.feeds {
		select {
		case f.ch <- s:
		default:
			f.dropped.Add(1)
		}
	}
}

// outputs are a run's outputs while it runs.
type outputs struct {
	all      []Output
	progress []interface{ Progress(Progress) }
	onTick   func(Progress)
	mu       sync.Mutex // serializes ticks
}

// startOutputs starts each output in turn; when one fails, those started
// are stopped with an empty summary.
func (e *engine) startOutputs(list []Output, onTick func(Progress), info RunInfo) (*outputs, error) {
	o := &outputs{onTick: onTick}
	for _, out := range list {
		if err := out.Start(info); err != nil {
			for _, started := range o.all {
				_ = started.Stop(&metrics.Summary{})
			}
			return nil, fmt.Errorf("start output %s: %w", outputName(out), err)
		}
		o.all = append(o.all, out)
		if p, ok := out.(interface{ Progress(Progress) }); ok {
			o.progress = append(o.progress, p)
		}
		if wantsSamples(out) {
			e.feeds = append(e.feeds, newFeed(out))
		}
	}
	return o, nil
}

// tick hands the live state to OnTick and to every output that wants it.
func (o *outputs) tick(p Progress) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.onTick != nil {
		o.onTick(p)
	}
	for _, out := range o.progress {
		out.Progress(p)
	}
}

// drain waits until every output took the samples in its buffer and
// returns how many each dropped.
func (e *engine) drain() map[string]int64 {
	var dropped map[string]int64
	for _, f := range e.feeds {
		close(f.ch)
		<-f.done
		if n := f.dropped.Load(); n > 0 {
			if dropped == nil {
				dropped = map[string]int64{}
			}
			dropped[outputName(f.out)] += n
		}
	}
	return dropped
}
