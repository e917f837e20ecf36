package report

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// DefaultDashboardAddr is where the live dashboard listens unless told
// otherwise: k6's.
const DefaultDashboardAddr = "127.0.0.1:5665"

//go:embed dashboard.html
var dashboardPage []byte

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
	Done  bool          `json:"done"`
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
type Dashboard struct {
	ln  net.Listener
	srv *http.Server

	mu   sync.Mutex
	subs map[chan []byte]bool
	last []byte

	namesMu sync.Mutex
	names   map[string]*nameSecond
}

// Start does nothing: the page is served from NewDashboard on.
func (d *Dashboard) Start(metrics.RunInfo) error { return nil }

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
		}
		n.duration.Record(s.Duration)
	}
}

// lastSecond returns each name's second so far and starts the next.
func (d *Dashboard) lastSecond() []NameLatency {
	d.namesMu.Lock()
	names := d.names
	d.names = map[string]*nameSecond{}
	d.namesMu.Unlock()
	out := make([]NameLatency, 0, len(names))
	for name, n := range names {
		out = append(out, NameLatency{
			Name: name, Count: n.count, Failed: n.failed,
			P50: msOf(n.duration.Percentile(50)), P95: msOf(n.duration.Percentile(95)), P99: msOf(n.duration.Percentile(99)),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// NewDashboard listens on addr (":0" for any port) and serves the page
// from now on, so that a bind error shows before the run starts.
func NewDashboard(addr string) (*Dashboard, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{ln: ln, subs: map[chan []byte]bool{}, names: map[string]*nameSecond{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(dashboardPage)
	})
	mux.HandleFunc("GET /events", d.events)
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	// Serve returns http.ErrServerClosed once Stop shuts it down.
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

// Addr returns the address the dashboard is served on.
func (d *Dashboard) Addr() string { return d.ln.Addr().String() }

func (d *Dashboard) String() string { return "dashboard " + d.Addr() }

// events streams one event a second to a page until the run stops or the
// page goes away. A page too slow to read misses events, never the run.
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
	if d.subs == nil { // stopped
		d.mu.Unlock()
		return
	}
	d.subs[ch] = true
	last := d.last
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		if d.subs != nil {
			delete(d.subs, ch)
		}
		d.mu.Unlock()
	}()
	if last != nil {
		fmt.Fprintf(w, "data: %s\n\n", last)
	}
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev, open := <-ch:
			if !open {
				return
			}
			fmt.Fprintf(w, "data: %s\n\n", ev)
			fl.Flush()
		}
	}
}

// Progress sends the live state to every page.
func (d *Dashboard) Progress(p metrics.Progress) {
	ev := DashboardEvent{
		Elapsed: p.Elapsed.Seconds(), VUs: p.VUs, VUsMax: p.VUsMax, RPS: p.Last.Requests,
		Requests: p.Requests, Failed: p.Failed, Complete: p.Complete, Interrupted: p.Interrupted, Dropped: p.Dropped,
		Saturated: p.Generator.Saturated, Reasons: p.Generator.Reasons, Done: p.Done,
	}
	if h := p.Last.Duration; h != nil {
		ev.P50, ev.P95, ev.P99 = msOf(h.Percentile(50)), msOf(h.Percentile(95)), msOf(h.Percentile(99))
	}
	if !p.Stopping || p.Done {
		ev.Names = d.lastSecond()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = b
	for ch := range d.subs {
		select {
		case ch <- b:
		default: // the page is behind: it gets the next one
		}
	}
}

// Stop ends every page's stream, after the last event, and stops serving,
// waiting at most a second.
func (d *Dashboard) Stop(*metrics.Summary) error {
	d.mu.Lock()
	for ch := range d.subs {
		close(ch)
	}
	d.subs = nil
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return d.srv.Shutdown(ctx)
}
