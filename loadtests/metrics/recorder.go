package metrics

import (
	"container/heap"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Limits that keep a run's memory bounded whatever its scenario does: each
// shard folds the names past its first MaxNames (a dynamic URL used as a
// name, say) into OtherName, so a run's summary holds at most MaxNames
// names per shard (MaxNames and OtherName when its VUs see the same names);
// messages past MaxErrorGroups go into one "other errors" group.
const (
	MaxNames       = 200
	MaxErrorGroups = 200
	OtherName      = "(other names)"
)

// Result is one finished request as a VU reports it.
type Result struct {
	Name   string
	Method string
	URL    string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Kind is empty for a successful request, else the failure kind:
	// "timeout", "refused", "reset", "eof", "other" or "status NNN".
	Kind string
	// Message describes the failure, for grouping.
	Message string
	Start   time.Time
	// Duration is sending + waiting + receiving; for a request that got no
	// response it is the time until the error.
	Duration   time.Duration
	Connecting time.Duration
	Waiting    time.Duration
	Receiving  time.Duration
	Sent       int64
	Received   int64
	RequestID  string
}

// Failed tells whether the request counts as failed.
func (r *Result) Failed() bool { return r.Kind != "" }

// Recorder aggregates results from many VUs. It is safe for concurrent use:
// each VU records into the Shard it was given, and the few shards keep lock
// contention low without the memory of one set of histograms per VU.
type Recorder struct {
	shards  []*Shard
	dropped atomic.Int64

	mu          sync.Mutex // guards what follows
	start       time.Time
	secondStart time.Time
	lastDropped int64
	series      []Point
}

// NewRecorder returns a recorder with n shards (at least one) for a run
// starting at start.
func NewRecorder(n int, start time.Time) *Recorder {
	n = max(n, 1)
	r := &Recorder{start: start, secondStart: start}
	for range n {
		r.shards = append(r.shards, newShard())
	}
	return r
}

// Shard returns the shard for VU id.
func (r *Recorder) Shard(id int) *Shard {
	if id < 0 {
		id = -id
	}
	return r.shards[id%len(r.shards)]
}

// Dropped counts iterations an arrival-rate executor could not start
// because every VU was busy.
func (r *Recorder) Dropped(n int64) { r.dropped.Add(n) }

// Tick closes the current point of the time series at now, with vus active
// VUs, and returns it. The point is labelled with the unix second its
// interval started in; callers tick on whole seconds so that points of runs
// made side by side line up.
func (r *Recorder) Tick(now time.Time, vus int64) Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := Point{Time: r.secondStart.Unix(), VUs: vus, Duration: NewHistogram()}
	for _, s := range r.shards {
		s.mu.Lock()
		p.Requests += s.sec.requests
		p.Failed += s.sec.failed
		p.Iterations += s.sec.iterations
		p.Interrupted += s.sec.interrupted
		p.Duration.addDense(s.sec.duration)
		s.sec.requests, s.sec.failed, s.sec.iterations, s.sec.interrupted = 0, 0, 0, 0
		s.sec.duration.Reset()
		s.mu.Unlock()
	}
	d := r.dropped.Load()
	p.Dropped = d - r.lastDropped
	r.lastDropped = d
	r.secondStart = now
	r.series = append(r.series, p)
	return p
}

// Series returns a copy of the points closed so far.
func (r *Recorder) Series() []Point {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Point(nil), r.series...)
}

// Summary builds the summary of everything recorded, for a run that ended
// at end: each shard's part, merged as Merge merges runs. Call it once the
// VUs have stopped and the last point is ticked.
func (r *Recorder) Summary(end time.Time) *Summary {
	parts := []*Summary{{Version: SummaryVersion}}
	for _, sh := range r.shards {
		parts = append(parts, sh.summary())
	}
	s, err := Merge(parts...)
	if err != nil {
		// Unreachable: every part is of this version.
		panic(err)
	}
	s.Runs, s.Start, s.End = 1, r.start, end
	s.Series = r.Series()
	s.Iterations.Dropped = r.dropped.Load()
	return s
}

// Live returns the run so far, from its start to now, as a summary to
// judge thresholds on while the run goes: requests, checks and iterations
// with their histograms, without the errors, the slowest requests, the
// series and the generator. Each shard is locked only while it is read.
func (r *Recorder) Live(now time.Time) *Summary {
	s := &Summary{Version: SummaryVersion, Runs: 1, Start: r.start, End: now}
	s.normalize()
	for _, sh := range r.shards {
		sh.mu.Lock()
		for name, live := range sh.requests {
			o, ok := s.Requests[name]
			if !ok {
				o = newRequestStats()
				s.Requests[name] = o
			}
			o.Count += live.count
			o.Failed += live.failed
			for k, v := range live.failures {
				o.Failures[k] += v
			}
			o.BytesSent += live.sent
			o.BytesReceived += live.received
			o.Duration.Merge(live.duration)
			o.Connecting.Merge(live.connecting)
			o.Waiting.Merge(live.waiting)
			o.Receiving.Merge(live.receiving)
		}
		for name, c := range sh.checks {
			o, ok := s.Checks[name]
			if !ok {
				o = &CheckStats{}
				s.Checks[name] = o
			}
			o.Pass += c.Pass
			o.Fail += c.Fail
		}
		s.Iterations.Complete += sh.complete
		s.Iterations.Interrupted += sh.interrupted
		s.Iterations.Duration.addDense(sh.iterDuration)
		sh.mu.Unlock()
	}
	s.Iterations.Dropped = r.dropped.Load()
	return s
}

// Checks returns each check's passes and failures so far, nil before
// any check ran: cheaper than Live when no threshold needs judging.
func (r *Recorder) Checks() map[string]CheckStats {
	var out map[string]CheckStats
	for _, sh := range r.shards {
		sh.mu.Lock()
		for name, c := range sh.checks {
			if out == nil {
				out = map[string]CheckStats{}
			}
			o := out[name]
			o.Pass += c.Pass
			o.Fail += c.Fail
			out[name] = o
		}
		sh.mu.Unlock()
	}
	return out
}

// summary returns what the shard recorded as a summary of its own, without
// the run's span and series.
func (sh *Shard) summary() *Summary {
	s := &Summary{Version: SummaryVersion}
	s.normalize()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for name, live := range sh.requests {
		o := newRequestStats()
		o.Count, o.Failed = live.count, live.failed
		for k, v := range live.failures {
			o.Failures[k] += v
		}
		o.BytesSent, o.BytesReceived = live.sent, live.received
		o.Duration.Merge(live.duration)
		o.Connecting.Merge(live.connecting)
		o.Waiting.Merge(live.waiting)
		o.Receiving.Merge(live.receiving)
		s.Requests[name] = o
	}
	for name, c := range sh.checks {
		s.Checks[name] = &CheckStats{Pass: c.Pass, Fail: c.Fail, Failures: slices.Clone(c.Failures)}
	}
	s.Iterations.Complete, s.Iterations.Interrupted = sh.complete, sh.interrupted
	s.Iterations.Duration.addDense(sh.iterDuration)
	for _, k := range sh.errOrder {
		s.Errors = append(s.Errors, *sh.errors[k])
	}
	s.Slowest = append(s.Slowest, sh.slow...)
	maps.Copy(s.Findings, sh.findings)
	return s
}

// Shard is the part of a Recorder a group of VUs records into.
type Shard struct {
	mu           sync.Mutex
	requests     map[string]*liveRequests
	checks       map[string]*CheckStats
	complete     int64
	interrupted  int64
	iterDuration *hdrhistogram.Histogram
	errors       map[errorKey]*ErrorGroup
	errOrder     []errorKey
	slow         slowHeap
	findings     map[string]int64
	sec          struct {
		requests, failed, iterations, interrupted int64
		duration                                  *hdrhistogram.Histogram
	}
}

type errorKey struct{ name, kind, message string }

type liveRequests struct {
	count, failed, sent, received int64
	failures                      map[string]int64
	// Sparse histograms: a run may have up to MaxNames names per shard.
	duration, connecting, waiting, receiving *Histogram
}

func newShard() *Shard {
	s := &Shard{
		requests: map[string]*liveRequests{},
		checks:   map[string]*CheckStats{},
		errors:   map[errorKey]*ErrorGroup{},
		findings: map[string]int64{},
	}
	s.iterDuration = newDense()
	s.sec.duration = newDense()
	return s
}

// Request records one finished request.
func (s *Shard) Request(r *Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	live, ok := s.requests[r.Name]
	if !ok {
		if len(s.requests) >= MaxNames {
			live = s.requests[OtherName]
		}
		if live == nil {
			live = &liveRequests{
				failures:   map[string]int64{},
				duration:   NewHistogram(),
				connecting: NewHistogram(),
				waiting:    NewHistogram(),
				receiving:  NewHistogram(),
			}
			name := r.Name
			if len(s.requests) >= MaxNames {
				name = OtherName
			}
			s.requests[name] = live
		}
	}
	live.count++
	live.sent += r.Sent
	live.received += r.Received
	live.duration.Record(r.Duration)
	live.connecting.Record(r.Connecting)
	live.waiting.Record(r.Waiting)
	live.receiving.Record(r.Receiving)
	s.sec.requests++
	recordDense(s.sec.duration, r.Duration)
	if r.Failed() {
		live.failed++
		live.failures[r.Kind]++
		s.sec.failed++
		s.addError(r.Name, r.Kind, r.Message, r.URL, r.RequestID)
	}
	if len(s.slow) < MaxSlowest || r.Duration > s.slow[0].Duration {
		sr := SlowRequest{
			Name: r.Name, Method: r.Method, URL: r.URL, Status: r.Status,
			Duration: r.Duration, RequestID: r.RequestID, Time: r.Start,
		}
		if r.Failed() {
			sr.Error = r.Message
		}
		if len(s.slow) < MaxSlowest {
			heap.Push(&s.slow, sr)
		} else {
			s.slow[0] = sr
			heap.Fix(&s.slow, 0)
		}
	}
}

// Check records the outcome of one named check.
func (s *Shard) Check(name string, ok bool) { s.CheckSeen(name, ok, "", "") }

// CheckSeen records the outcome of one named check; a failure is counted
// under the request it was about (may be empty) and what was seen, such as
// the status "404".
func (s *Shard) CheckSeen(name string, ok bool, request, seen string) {
	s.mu.Lock()
	c, found := s.checks[name]
	if !found {
		c = &CheckStats{}
		s.checks[name] = c
	}
	if ok {
		c.Pass++
	} else {
		c.Fail++
		if request != "" || seen != "" {
			c.addFailure(request, seen, 1)
		}
	}
	s.mu.Unlock()
}

// Iteration records one iteration that ran for d; interrupted iterations
// were cut off by the end of their scenario and their duration is not kept.
func (s *Shard) Iteration(d time.Duration, interrupted bool) {
	s.mu.Lock()
	if interrupted {
		s.interrupted++
		s.sec.interrupted++
	} else {
		s.complete++
		s.sec.iterations++
		recordDense(s.iterDuration, d)
	}
	s.mu.Unlock()
}

// Error records a failure that is not a request's, such as an error an
// iteration returned. name says where it happened.
func (s *Shard) Error(name, kind, message string) {
	s.mu.Lock()
	s.addError(name, kind, message, "", "")
	s.mu.Unlock()
}

// Finding adds v to the finding called name.
func (s *Shard) Finding(name string, v int64) {
	s.mu.Lock()
	s.findings[name] += v
	s.mu.Unlock()
}

func (s *Shard) addError(name, kind, message, url, requestID string) {
	k := errorKey{name, kind, message}
	if g, ok := s.errors[k]; ok {
		g.Count++
		return
	}
	if len(s.errors) >= MaxErrorGroups {
		k = errorKey{OtherName, "other", "other errors"}
		if g, ok := s.errors[k]; ok {
			g.Count++
			return
		}
	}
	s.errors[k] = &ErrorGroup{Name: k.name, Kind: k.kind, Message: k.message, Count: 1, URL: url, RequestID: requestID}
	s.errOrder = append(s.errOrder, k)
}

// slowHeap is a min-heap on duration: its root is the fastest of the
// slowest requests kept, the one to replace.
type slowHeap []SlowRequest

func (h slowHeap) Len() int           { return len(h) }
func (h slowHeap) Less(i, j int) bool { return h[i].Duration < h[j].Duration }
func (h slowHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *slowHeap) Push(x any)        { *h = append(*h, x.(SlowRequest)) }
func (h *slowHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
