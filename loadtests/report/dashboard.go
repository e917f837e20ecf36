package report

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// DefaultDashboardAddr is where the live dashboard listens unless told
// otherwise: k6's.
const DefaultDashboardAddr = "127.0.0.1:5665"

//go:embed dashboard.html
var dashboardHTML string

// The charts are drawn with uPlot (MIT, its LICENSE beside it), from npm's
// uplot 1.6.32: about 50 kB, made for time series, it draws thousands of
// points a second on a canvas without slowing the page, where a general
// chart library is several times its size and redraws slower. It is
// embedded so the page, live or saved, needs nothing from the network.
//
//go:embed uplot/uPlot.iife.min.js
var uplotJS string

//go:embed uplot/uPlot.min.css
var uplotCSS string

// dashboardPage returns the page with uPlot inlined and, when data is not
// nil, the whole run's events inlined in place of the live stream.
func dashboardPage(data []byte) []byte {
	inline := "null"
	if data != nil {
		// </script> cannot appear inside JSON once "<" is escaped.
		inline = strings.ReplaceAll(string(data), "<", "\\u003c")
	}
	r := strings.NewReplacer("/*UPLOT_CSS*/", uplotCSS, "/*UPLOT_JS*/", uplotJS, "/*RUN_DATA*/null", inline,
		"/*MAX_HISTORY*/0", strconv.Itoa(MaxHistory))
	return []byte(r.Replace(dashboardHTML))
}

// DashboardEvent is what the dashboard's page receives each second, as
// one server-sent event.
type DashboardEvent struct {
	Elapsed     float64 `json:"elapsed_s"`
	VUs         int64   `json:"vus"`
	VUsMax      int64   `json:"vus_max"`
	RPS         int64   `json:"rps"`
	P50         float64 `json:"p50_ms"`
	P95         float64 `json:"p95_ms"`
	P99         float64 `json:"p99_ms"`
	Requests    int64   `json:"requests"`
	Failed      int64   `json:"failed"`
	Complete    int64   `json:"complete"`
	Interrupted int64   `json:"interrupted"`
	Dropped     int64   `json:"dropped"`
	// Saturated and Reasons say when the generator was the bottleneck.
	Saturated bool     `json:"saturated"`
	Reasons   []string `json:"reasons,omitempty"`
	// Names holds each request name's latency over about the last second
	// (samples still on their way at the tick count in the next).
	Names []NameLatency `json:"names,omitempty"`
	// Kinds counts the last second's failures by kind ("timeout",
	// "status 503", ...).
	Kinds map[string]int64 `json:"kinds,omitempty"`
	// Checks holds each check's passes and failures so far, Thresholds
	// each threshold judged on the run so far (Reason "no samples" while
	// its metric has none): the verdict as it stands.
	Checks     map[string]CheckState `json:"checks,omitempty"`
	Thresholds []ThresholdState      `json:"thresholds,omitempty"`
	// Server is the server's side in the same second, when scraped.
	Server *ServerPoint `json:"server,omitempty"`
	Done   bool         `json:"done"`
}

// DashboardFinal is the last event, sent as "done" once the run has
// stopped: the totals, checks (with what their failures saw) and
// thresholds as the summary has them, and the text summary itself.
type DashboardFinal struct {
	Plan       string                `json:"plan,omitempty"`
	Start      string                `json:"start,omitempty"`
	Names      []NameLatency         `json:"names"`
	Checks     map[string]CheckState `json:"checks,omitempty"`
	Thresholds []ThresholdState      `json:"thresholds,omitempty"`
	Saturated  bool                  `json:"saturated,omitempty"`
	Reasons    []string              `json:"reasons,omitempty"`
	// Summary is the end-of-test summary as the terminal prints it.
	Summary string `json:"summary,omitempty"`
}

// CheckState is a check's passes and failures so far; at the end, Seen
// says what the failures saw, as the text summary does ("DELETE
// /api/v1/todos/{id} got 404 ×30; ...").
type CheckState struct {
	Pass int64  `json:"pass"`
	Fail int64  `json:"fail"`
	Seen string `json:"seen,omitempty"`
}

// checkStates returns the checks as the page shows them, with what their
// failures saw when seen is set.
func checkStates[C metrics.CheckStats | *metrics.CheckStats](cs map[string]C, seen bool) map[string]CheckState {
	if len(cs) == 0 {
		return nil
	}
	out := make(map[string]CheckState, len(cs))
	for name, c := range cs {
		var st metrics.CheckStats
		switch v := any(c).(type) {
		case metrics.CheckStats:
			st = v
		case *metrics.CheckStats:
			st = *v
		}
		cs := CheckState{Pass: st.Pass, Fail: st.Fail}
		if seen {
			var what []string
			for _, f := range st.Failures {
				what = append(what, f.String())
			}
			cs.Seen = strings.Join(what, "; ")
		}
		out[name] = cs
	}
	return out
}

// ThresholdState is a threshold's verdict with its observed value as the
// summary writes it ("10.56ms", "99.50%", "no samples").
type ThresholdState struct {
	metrics.ThresholdResult
	Text string `json:"text"`
}

func thresholdStates(rs []metrics.ThresholdResult) []ThresholdState {
	if len(rs) == 0 {
		return nil
	}
	out := make([]ThresholdState, len(rs))
	for i, r := range rs {
		out[i] = ThresholdState{ThresholdResult: r, Text: r.ObservedText()}
	}
	return out
}

// MaxHistory bounds the events the dashboard keeps for pages that connect
// late and for the saved page, and the points each chart of the page
// holds: a run's first MaxHistory seconds are kept one a second; then
// every other point is dropped and one event in two kept from then on,
// and so on (one in four, eight...), so a 24-hour run keeps between
// MaxHistory/2 and MaxHistory points evenly spread over the whole run,
// plus the latest. An event is a few hundred bytes plus about 100 per
// request name, so the history stays within a few megabytes.
const MaxHistory = 3600

// history is a bounded, evenly thinned record of the run's events.
type history struct {
	kept   [][]byte // events 0, stride, 2*stride... so far
	stride int
	count  int    // events seen
	tail   []byte // the latest event when it is not kept, else nil
}

func (h *history) add(ev []byte) {
	if h.stride == 0 {
		h.stride = 1
	}
	h.count++
	if (h.count-1)%h.stride != 0 {
		h.tail = ev
		return
	}
	h.tail = nil
	h.kept = append(h.kept, ev)
	if len(h.kept) >= MaxHistory {
		j := 0
		for i := 0; i < len(h.kept); i += 2 {
			h.kept[j] = h.kept[i]
			j++
		}
		clear(h.kept[j:])
		h.kept = h.kept[:j]
		h.stride *= 2
	}
}

// events returns the kept events and the latest, in order.
func (h *history) events() [][]byte {
	out := slices.Clone(h.kept)
	if h.tail != nil {
		out = append(out, h.tail)
	}
	return out
}

// dashboardRun is the whole run's data inlined in a saved page.
type dashboardRun struct {
	Events []json.RawMessage `json:"events"`
	Final  json.RawMessage   `json:"final"`
}

// NameLatency is one request name's last second.
type NameLatency struct {
	Name   string  `json:"name"`
	Count  int64   `json:"count"`
	Failed int64   `json:"failed"`
	P50    float64 `json:"p50_ms"`
	P95    float64 `json:"p95_ms"`
	P99    float64 `json:"p99_ms"`
}

// nameSecond is what the dashboard gathers of one name in one second.
type nameSecond struct {
	count, failed int64
	duration      *metrics.Histogram
}

// Dashboard serves a page while the run goes, updated each second over
// server-sent events (/events): VUs, requests per second, latency
// percentiles (of all requests and per request name), failures,
// iterations and the generator's saturation.
//
// The same page, with the whole run's events inlined instead of the
// stream, is the saved report (WithHTML): one renderer for both.
type Dashboard struct {
	ln     net.Listener // nil when only the saved page is asked for
	srv    *http.Server
	html   string
	server *ServerMetrics
	cancel context.CancelFunc
	served atomic.Int64

	mu      sync.Mutex
	subs    map[chan []byte]bool
	history history // bounded: see MaxHistory
	final   []byte
	stopped bool

	namesMu sync.Mutex
	names   map[string]*nameSecond
	kinds   map[string]int64
}

// DashboardOption sets up a Dashboard.
type DashboardOption func(*Dashboard)

// WithHTML writes the page, with the whole run inlined, to path when the
// run stops.
func WithHTML(path string) DashboardOption { return func(d *Dashboard) { d.html = path } }

// WithServerMetrics draws the server's side from m, scraped each second.
func WithServerMetrics(m *ServerMetrics) DashboardOption {
	return func(d *Dashboard) { d.server = m }
}

// Start begins scraping the server's metrics, when asked for.
func (d *Dashboard) Start(metrics.RunInfo) error {
	if d.server != nil {
		ctx, cancel := context.WithCancel(context.Background())
		d.cancel = cancel
		go d.server.run(ctx)
	}
	return nil
}

// Served returns how many events the dashboard has written to pages.
func (d *Dashboard) Served() int64 { return d.served.Load() }

// Pages returns how many pages follow the run now.
func (d *Dashboard) Pages() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.subs)
}

// Events returns how many events the run has had so far (one a second).
func (d *Dashboard) Events() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.history.count
}

// Kept returns how many events the dashboard holds now, at most
// MaxHistory+1 (see MaxHistory).
func (d *Dashboard) Kept() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.history.kept)
	if d.history.tail != nil {
		n++
	}
	return n
}

// AddSamples gathers the second's latency per request name. Names past
// metrics.MaxNames are folded into one, as the summary folds them.
func (d *Dashboard) AddSamples(samples []metrics.Sample) {
	d.namesMu.Lock()
	defer d.namesMu.Unlock()
	for i := range samples {
		s := &samples[i]
		n, ok := d.names[s.Name]
		if !ok {
			name := s.Name
			if len(d.names) >= metrics.MaxNames {
				name = metrics.OtherName
			}
			if n = d.names[name]; n == nil {
				n = &nameSecond{duration: metrics.NewHistogram()}
				d.names[name] = n
			}
		}
		n.count++
		if s.Kind != "" {
			n.failed++
			d.kinds[s.Kind]++
		}
		n.duration.Record(s.Duration)
	}
}

// lastSecond returns each name's second so far and starts the next.
func (d *Dashboard) lastSecond() ([]NameLatency, map[string]int64) {
	d.namesMu.Lock()
	names, kinds := d.names, d.kinds
	d.names, d.kinds = map[string]*nameSecond{}, map[string]int64{}
	d.namesMu.Unlock()
	out := make([]NameLatency, 0, len(names))
	for name, n := range names {
		out = append(out, NameLatency{
			Name: name, Count: n.count, Failed: n.failed,
			P50: msOf(n.duration.Percentile(50)), P95: msOf(n.duration.Percentile(95)), P99: msOf(n.duration.Percentile(99)),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(kinds) == 0 {
		kinds = nil
	}
	return out, kinds
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// NewDashboard listens on addr (":0" for any port) and serves the page
// from now on, so that a bind error shows before the run starts. With addr
// empty it serves nothing and only gathers the run for WithHTML.
func NewDashboard(addr string, opts ...DashboardOption) (*Dashboard, error) {
	d := &Dashboard{subs: map[chan []byte]bool{}, names: map[string]*nameSecond{}, kinds: map[string]int64{}}
	for _, o := range opts {
		o(d)
	}
	if addr == "" {
		return d, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	d.ln = ln
	page := dashboardPage(nil)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("GET /events", d.events)
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	// Serve returns http.ErrServerClosed once Stop shuts it down.
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

// Addr returns the address the dashboard is served on, "" when it is not.
func (d *Dashboard) Addr() string {
	if d.ln == nil {
		return ""
	}
	return d.ln.Addr().String()
}

func (d *Dashboard) String() string {
	if d.ln == nil {
		return "HTML report " + d.html
	}
	return "dashboard " + d.Addr()
}

// events streams the run to a page: the events kept so far at once, then one
// a second until the run stops, then the "done" event, and the stream
// ends. A page too slow to read misses events, never the run.
func (d *Dashboard) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	ch := make(chan []byte, 4)
	d.mu.Lock()
	past := d.history.events()
	final, stopped := d.final, d.stopped
	if !stopped {
		d.subs[ch] = true
	}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.subs, ch)
		d.mu.Unlock()
	}()
	for _, ev := range past {
		d.send(w, "", ev)
	}
	if stopped {
		d.send(w, "done", final)
		fl.Flush()
		return
	}
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, open := <-ch:
			if !open {
				d.mu.Lock()
				final = d.final
				d.mu.Unlock()
				d.send(w, "done", final)
				fl.Flush()
				return
			}
			d.send(w, "", ev)
			fl.Flush()
		}
	}
}

// send writes one server-sent event.
func (d *Dashboard) send(w http.ResponseWriter, name string, data []byte) {
	if name != "" {
		fmt.Fprintf(w, "event: %s\n", name)
	}
	fmt.Fprintf(w, "data: %s\n\n", data)
	d.served.Add(1)
}

// Progress sends the live state to every page.
func (d *Dashboard) Progress(p metrics.Progress) {
	ev := DashboardEvent{
		Elapsed: p.Elapsed.Seconds(), VUs: p.VUs, VUsMax: p.VUsMax, RPS: p.Last.Requests,
		Requests: p.Requests, Failed: p.Failed, Complete: p.Complete, Interrupted: p.Interrupted, Dropped: p.Dropped,
		Saturated: p.Generator.Saturated, Reasons: p.Generator.Reasons, Done: p.Done,
		Checks: checkStates(p.Checks, false), Thresholds: thresholdStates(p.Thresholds),
	}
	if h := p.Last.Duration; h != nil {
		ev.P50, ev.P95, ev.P99 = msOf(h.Percentile(50)), msOf(h.Percentile(95)), msOf(h.Percentile(99))
	}
	if !p.Stopping || p.Done {
		ev.Names, ev.Kinds = d.lastSecond()
	}
	if d.server != nil {
		sp := d.server.Latest()
		ev.Server = &sp
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	d.history.add(b)
	for ch := range d.subs {
		select {
		case ch <- b:
		default: // the page is behind: it gets the next one
		}
	}
}

// Stop sends every page the "done" event (the summary's totals, checks
// and thresholds) and ends its stream, writes the saved page when asked
// for, and stops serving, waiting at most a second for the pages.
func (d *Dashboard) Stop(s *metrics.Summary) error {
	if d.cancel != nil {
		d.cancel()
	}
	final, err := json.Marshal(finalOf(s))
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.final, d.stopped = final, true
	for ch := range d.subs {
		close(ch)
		delete(d.subs, ch)
	}
	history := d.history.events()
	d.mu.Unlock()
	var werr error
	if d.html != "" {
		werr = d.writeHTML(history, final)
	}
	if d.srv == nil {
		return werr
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := d.srv.Shutdown(ctx); err != nil {
		// A page too slow to read its end within the second (a loaded
		// machine, a stalled tab) misses it; the run did not fail.
		_ = d.srv.Close()
		if !errors.Is(err, context.DeadlineExceeded) && werr == nil {
			werr = err
		}
	}
	return werr
}

func finalOf(s *metrics.Summary) DashboardFinal {
	var f DashboardFinal
	if s == nil {
		return f
	}
	f.Plan = s.Plan
	if !s.Start.IsZero() {
		f.Start = s.Start.UTC().Format(time.RFC3339)
	}
	f.Saturated, f.Reasons = s.Generator.Saturated, s.Generator.Reasons
	var text bytes.Buffer
	if err := Text(&text, s); err == nil {
		f.Summary = text.String()
	}
	for _, name := range s.Names() {
		r := s.Requests[name]
		f.Names = append(f.Names, NameLatency{Name: name, Count: r.Count, Failed: r.Failed,
			P50: msOf(r.Duration.Percentile(50)), P95: msOf(r.Duration.Percentile(95)), P99: msOf(r.Duration.Percentile(99))})
	}
	f.Checks = checkStates(s.Checks, true)
	f.Thresholds = thresholdStates(s.Thresholds)
	return f
}

func (d *Dashboard) writeHTML(history [][]byte, final []byte) error {
	page, err := savedPage(history, final)
	if err != nil {
		return err
	}
	return os.WriteFile(d.html, page, 0o644)
}

// savedPage returns the page with the run's events and its end inlined.
func savedPage(events [][]byte, final []byte) ([]byte, error) {
	run := dashboardRun{Final: final, Events: make([]json.RawMessage, len(events))}
	for i, ev := range events {
		run.Events[i] = ev
	}
	data, err := json.Marshal(run)
	if err != nil {
		return nil, err
	}
	return dashboardPage(data), nil
}
