package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

// SummaryVersion is the format version written into summary.json.
const SummaryVersion = 1

// MaxSlowest is how many of the slowest requests a summary keeps.
const MaxSlowest = 10

// Summary is everything one run (or several merged runs) measured. Every
// field merges exactly: counters add up, histograms merge bucket by bucket,
// time series points add up second by second.
type Summary struct {
	Version int    `json:"version"`
	Plan    string `json:"plan"`
	// Runs is how many runs this summary holds (1, or more once merged).
	Runs  int       `json:"runs"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`

	Scenarios  []ScenarioInfo           `json:"scenarios"`
	Requests   map[string]*RequestStats `json:"requests"`
	Checks     map[string]*CheckStats   `json:"checks"`
	Iterations IterationStats           `json:"iterations"`
	// VUsMax is how many VUs were allocated in all.
	VUsMax int64 `json:"vus_max"`
	// Errors groups failed requests and iterations by what went wrong.
	Errors []ErrorGroup `json:"errors"`
	// Slowest holds the slowest requests, slowest first, with their request
	// ids so they can be found in the server's logs.
	Slowest []SlowRequest `json:"slowest"`
	// Series holds one point per second of the run.
	Series []Point `json:"series"`
	// Findings are numbers a scenario reports after the run, such as how many
	// of its todos were left behind.
	Findings map[string]int64 `json:"findings,omitempty"`
	// Generator is what the load generator measured about itself.
	Generator Generator `json:"generator"`
	// Thresholds holds the verdicts of the last evaluation; merging drops
	// them, as a merged summary must be evaluated again.
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	// Shard, for one segment of a split run, says which; merging drops it.
	Shard *ShardInfo `json:"shard,omitempty"`
}

// ScenarioInfo describes one scenario of the plan, in k6's words.
type ScenarioInfo struct {
	Name        string `json:"name"`
	Executor    string `json:"executor"`
	Description string `json:"description"`
	MaxVUs      int    `json:"max_vus"`
}

// RequestStats aggregates the requests sharing one name.
type RequestStats struct {
	Count  int64 `json:"count"`
	Failed int64 `json:"failed"`
	// Failures counts failed requests by kind: "timeout", "refused",
	// "reset", "eof", "other", or the status such as "status 404".
	Failures      map[string]int64 `json:"failures,omitempty"`
	BytesSent     int64            `json:"bytes_sent"`
	BytesReceived int64            `json:"bytes_received"`
	// Duration is sending + waiting + receiving, as k6's http_req_duration.
	Duration   *Histogram `json:"duration"`
	Connecting *Histogram `json:"connecting"`
	Waiting    *Histogram `json:"waiting"`
	Receiving  *Histogram `json:"receiving"`
}

// MaxCheckFailures is how many distinct (request, seen) pairs a check keeps
// for its failures; the rest are counted under OtherName.
const MaxCheckFailures = 10

// CheckStats counts the outcomes of one named check.
type CheckStats struct {
	Pass int64 `json:"pass"`
	Fail int64 `json:"fail"`
	// Failures says what the failed checks saw, most frequent first. Their
	// counts may add up to less than Fail: a check made before any request
	// has nothing to show.
	Failures []CheckFailure `json:"failures,omitempty"`
}

// CheckFailure counts the failures of a check that saw the same thing.
type CheckFailure struct {
	// Request is the name of the request checked, empty for a value.
	Request string `json:"request,omitempty"`
	// Seen is the status the request got ("404"), its error ("connection
	// refused"), or the value checked.
	Seen  string `json:"seen"`
	Count int64  `json:"count"`
}

// String reads "POST /api/v1/todos got 201 ×40", or "saw 3 ×1" for a value.
func (f CheckFailure) String() string {
	if f.Request == "" {
		return fmt.Sprintf("saw %s ×%d", f.Seen, f.Count)
	}
	return fmt.Sprintf("%s got %s ×%d", f.Request, f.Seen, f.Count)
}

// addFailure adds n failures that saw seen on request, keeping at most
// MaxCheckFailures distinct pairs (the last one collects the others).
func (c *CheckStats) addFailure(request, seen string, n int64) {
	for i := range c.Failures {
		if c.Failures[i].Request == request && c.Failures[i].Seen == seen {
			c.Failures[i].Count += n
			return
		}
	}
	if len(c.Failures) >= MaxCheckFailures-1 {
		request, seen = OtherName, "other values"
		for i := range c.Failures {
			if c.Failures[i].Request == request && c.Failures[i].Seen == seen {
				c.Failures[i].Count += n
				return
			}
		}
	}
	c.Failures = append(c.Failures, CheckFailure{Request: request, Seen: seen, Count: n})
}

// sortFailures orders the failures most frequent first.
func (c *CheckStats) sortFailures() {
	sort.SliceStable(c.Failures, func(i, j int) bool { return c.Failures[i].Count > c.Failures[j].Count })
}

// IterationStats counts iterations as k6 prints them.
type IterationStats struct {
	Complete    int64 `json:"complete"`
	Interrupted int64 `json:"interrupted"`
	Dropped     int64 `json:"dropped"`
	// Duration of complete iterations.
	Duration *Histogram `json:"duration"`
}

// ErrorGroup is a set of failures with the same request name, kind and message.
type ErrorGroup struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Count   int64  `json:"count"`
	// URL and RequestID are those of the first failure seen.
	URL       string `json:"url,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// SlowRequest is one request among the slowest of the run.
type SlowRequest struct {
	Name      string        `json:"name"`
	Method    string        `json:"method"`
	URL       string        `json:"url"`
	Status    int           `json:"status"`
	Error     string        `json:"error,omitempty"`
	Duration  time.Duration `json:"duration_ns"`
	RequestID string        `json:"request_id"`
	Time      time.Time     `json:"time"`
}

// Point is one second of the run. Time is the unix second it starts at, so
// points of runs made side by side line up when merged.
type Point struct {
	Time        int64      `json:"t"`
	Requests    int64      `json:"requests"`
	Failed      int64      `json:"failed"`
	Iterations  int64      `json:"iterations"`
	Interrupted int64      `json:"interrupted"`
	Dropped     int64      `json:"dropped"`
	VUs         int64      `json:"vus"`
	Duration    *Histogram `json:"duration"`
}

// Elapsed returns how long the run (or the merged runs) lasted.
func (s *Summary) Elapsed() time.Duration { return s.End.Sub(s.Start) }

// Total returns the statistics of every request, whatever its name.
func (s *Summary) Total() *RequestStats {
	t := newRequestStats()
	for _, r := range s.Requests {
		t.add(r)
	}
	return t
}

// Names returns the request names in order.
func (s *Summary) Names() []string { return sortedKeys(s.Requests) }

// CheckNames returns the check names in order.
func (s *Summary) CheckNames() []string { return sortedKeys(s.Checks) }

// ChecksTotal adds up every check.
func (s *Summary) ChecksTotal() CheckStats {
	var t CheckStats
	for _, c := range s.Checks {
		t.Pass += c.Pass
		t.Fail += c.Fail
	}
	return t
}

// VUs returns the last, smallest and largest number of active VUs seen in
// the time series.
func (s *Summary) VUs() (last, lo, hi int64) {
	if len(s.Series) == 0 {
		return 0, 0, 0
	}
	lo = math.MaxInt64
	for _, p := range s.Series {
		lo = min(lo, p.VUs)
		hi = max(hi, p.VUs)
	}
	return s.Series[len(s.Series)-1].VUs, lo, hi
}

// Answered counts the requests that got an HTTP response, whatever its
// status: the others failed before one came (refused, reset, timed out).
func (r *RequestStats) Answered() int64 {
	n := r.Count
	for kind, c := range r.Failures {
		if !strings.HasPrefix(kind, "status ") {
			n -= c
		}
	}
	return n
}

func newRequestStats() *RequestStats {
	return &RequestStats{
		Failures:   map[string]int64{},
		Duration:   NewHistogram(),
		Connecting: NewHistogram(),
		Waiting:    NewHistogram(),
		Receiving:  NewHistogram(),
	}
}

func (r *RequestStats) add(o *RequestStats) {
	r.Count += o.Count
	r.Failed += o.Failed
	for k, v := range o.Failures {
		r.Failures[k] += v
	}
	r.BytesSent += o.BytesSent
	r.BytesReceived += o.BytesReceived
	r.Duration.Merge(o.Duration)
	r.Connecting.Merge(o.Connecting)
	r.Waiting.Merge(o.Waiting)
	r.Receiving.Merge(o.Receiving)
}

// normalize replaces nil maps and histograms (as read from a hand-written or
// older file) with empty ones.
func (s *Summary) normalize() {
	if s.Requests == nil {
		s.Requests = map[string]*RequestStats{}
	}
	for name, r := range s.Requests {
		if r == nil {
			r = newRequestStats()
			s.Requests[name] = r
		}
		if r.Failures == nil {
			r.Failures = map[string]int64{}
		}
		for _, h := range []**Histogram{&r.Duration, &r.Connecting, &r.Waiting, &r.Receiving} {
			if *h == nil {
				*h = NewHistogram()
			}
		}
	}
	if s.Checks == nil {
		s.Checks = map[string]*CheckStats{}
	}
	for name, c := range s.Checks {
		if c == nil {
			s.Checks[name] = &CheckStats{}
		}
	}
	if s.Iterations.Duration == nil {
		s.Iterations.Duration = NewHistogram()
	}
	for i := range s.Series {
		if s.Series[i].Duration == nil {
			s.Series[i].Duration = NewHistogram()
		}
	}
	if s.Findings == nil {
		s.Findings = map[string]int64{}
	}
}

// Merge returns the summary of all the given runs, made side by side against
// the same system: counts add up, histograms and per-second points merge
// exactly, the run spans from the earliest start to the latest end. Findings
// add up too. Threshold verdicts are dropped; evaluate the merged summary.
// Merge returns an error when given nothing or summaries of another version.
func Merge(summaries ...*Summary) (*Summary, error) {
	if len(summaries) == 0 {
		return nil, fmt.Errorf("merge: no summaries")
	}
	out := &Summary{Version: SummaryVersion}
	out.normalize()
	points := map[int64]*Point{}
	errs := map[errorKey]*ErrorGroup{}
	var errOrder []errorKey
	scen := map[string]bool{}
	for i, s := range summaries {
		if s.Version != SummaryVersion {
			return nil, fmt.Errorf("merge: summary %d has version %d, want %d", i+1, s.Version, SummaryVersion)
		}
		s.normalize()
		if out.Plan == "" {
			out.Plan = s.Plan
		} else if s.Plan != out.Plan && s.Plan != "" {
			out.Plan = out.Plan + "+" + s.Plan
		}
		out.Runs += max(s.Runs, 1)
		if out.Start.IsZero() || (!s.Start.IsZero() && s.Start.Before(out.Start)) {
			out.Start = s.Start
		}
		if s.End.After(out.End) {
			out.End = s.End
		}
		for _, sc := range s.Scenarios {
			if !scen[sc.Name] {
				scen[sc.Name] = true
				out.Scenarios = append(out.Scenarios, sc)
			}
		}
		for name, r := range s.Requests {
			o, ok := out.Requests[name]
			if !ok {
				o = newRequestStats()
				out.Requests[name] = o
			}
			o.add(r)
		}
		for name, c := range s.Checks {
			o, ok := out.Checks[name]
			if !ok {
				o = &CheckStats{}
				out.Checks[name] = o
			}
			o.Pass += c.Pass
			o.Fail += c.Fail
			for _, f := range c.Failures {
				o.addFailure(f.Request, f.Seen, f.Count)
			}
		}
		out.Iterations.Complete += s.Iterations.Complete
		out.Iterations.Interrupted += s.Iterations.Interrupted
		out.Iterations.Dropped += s.Iterations.Dropped
		out.Iterations.Duration.Merge(s.Iterations.Duration)
		out.VUsMax += s.VUsMax
		out.Generator.merge(s.Generator)
		for _, e := range s.Errors {
			k := errorKey{e.Name, e.Kind, e.Message}
			if g, ok := errs[k]; ok {
				g.Count += e.Count
				continue
			}
			g := e
			errs[k] = &g
			errOrder = append(errOrder, k)
		}
		out.Slowest = append(out.Slowest, s.Slowest...)
		for _, p := range s.Series {
			o, ok := points[p.Time]
			if !ok {
				o = &Point{Time: p.Time, Duration: NewHistogram()}
				points[p.Time] = o
			}
			o.Requests += p.Requests
			o.Failed += p.Failed
			o.Iterations += p.Iterations
			o.Interrupted += p.Interrupted
			o.Dropped += p.Dropped
			o.VUs += p.VUs
			o.Duration.Merge(p.Duration)
		}
		for k, v := range s.Findings {
			out.Findings[k] += v
		}
	}
	for _, k := range errOrder {
		out.Errors = append(out.Errors, *errs[k])
	}
	sortErrors(out.Errors)
	out.Slowest = topSlowest(out.Slowest)
	for _, c := range out.Checks {
		c.sortFailures()
	}
	for _, p := range points {
		out.Series = append(out.Series, *p)
	}
	sort.Slice(out.Series, func(i, j int) bool { return out.Series[i].Time < out.Series[j].Time })
	return out, nil
}

func sortErrors(errs []ErrorGroup) {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Count > errs[j].Count })
}

// topSlowest sorts requests slowest first and keeps MaxSlowest of them.
func topSlowest(reqs []SlowRequest) []SlowRequest {
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].Duration > reqs[j].Duration })
	if len(reqs) > MaxSlowest {
		reqs = reqs[:MaxSlowest]
	}
	return reqs
}

// Write writes s as indented JSON.
func (s *Summary) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteFile writes s as JSON to path.
func (s *Summary) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := s.Write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// Read decodes a summary written by Write. It returns an error naming the
// problem when the input is not a summary of this version.
func Read(r io.Reader) (*Summary, error) {
	var s Summary
	dec := json.NewDecoder(r)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a summary: %w", err)
	}
	if s.Version != SummaryVersion {
		return nil, fmt.Errorf("summary version %d, want %d", s.Version, SummaryVersion)
	}
	s.normalize()
	return &s, nil
}

// ReadFile reads a summary from path.
func ReadFile(path string) (*Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
