package conncheck

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
)

// Stats is a snapshot of the connection states during a check.
type Stats struct {
	// Elapsed is the time since the check started.
	Elapsed time.Duration `json:"-"`
	// Total is the number of connections the check opens.
	Total int `json:"total"`
	// NotInitiated connections have not been dialed yet.
	NotInitiated int `json:"not_initiated"`
	// Dialing connections are waiting for the handshake.
	Dialing int `json:"dialing"`
	// Established connections completed the handshake and are still open.
	Established int `json:"established"`
	// Closed connections were established and then closed by the peer.
	Closed int `json:"closed"`
	// Error connections failed to establish.
	Error int `json:"error"`
	// Probing is true when an HTTP request is sent on each established connection.
	Probing bool `json:"-"`
	// Served counts the connections that received an HTTP response (only when Probing).
	Served int `json:"served"`
}

// String returns the progress line tcpgoon prints, for example
// "Total: 10, Dialing: 1, Established: 8, Closed: 0, Error: 0, NotInitiated: 1", with
// ", Served: N" appended when the HTTP probe is on.
func (s Stats) String() string {
	line := fmt.Sprintf("Total: %d, Dialing: %d, Established: %d, Closed: %d, Error: %d, NotInitiated: %d",
		s.Total, s.Dialing, s.Established, s.Closed, s.Error, s.NotInitiated)
	if s.Probing {
		line += fmt.Sprintf(", Served: %d", s.Served)
	}
	return line
}

// settled reports whether every connection has finished dialing.
func (s Stats) settled() bool { return s.NotInitiated == 0 && s.Dialing == 0 }

// final reports whether no connection can change state any more.
func (s Stats) final() bool { return s.Closed+s.Error == s.Total }

// DurationStats summarises a set of durations without keeping them: count, min, mean, max and
// population standard deviation.
type DurationStats struct {
	Count  int
	Min    time.Duration
	Avg    time.Duration
	Max    time.Duration
	StdDev time.Duration
}

// String returns "min/avg/max/dev = 1.2ms/3.4ms/5.6ms/0.7ms".
func (d DurationStats) String() string {
	return fmt.Sprintf("min/avg/max/dev = %v/%v/%v/%v",
		round(d.Min), round(d.Avg), round(d.Max), round(d.StdDev))
}

// durationStatsJSON is DurationStats as JSON: the durations in milliseconds.
type durationStatsJSON struct {
	Count  int     `json:"count"`
	Min    float64 `json:"min_ms"`
	Avg    float64 `json:"avg_ms"`
	Max    float64 `json:"max_ms"`
	StdDev float64 `json:"stddev_ms"`
}

// MarshalJSON writes the durations as milliseconds.
func (d DurationStats) MarshalJSON() ([]byte, error) {
	ms := func(v time.Duration) float64 { return float64(v.Microseconds()) / 1000 }
	return json.Marshal(durationStatsJSON{d.Count, ms(d.Min), ms(d.Avg), ms(d.Max), ms(d.StdDev)})
}

// UnmarshalJSON reads the milliseconds MarshalJSON wrote, to the microsecond.
func (d *DurationStats) UnmarshalJSON(b []byte) error {
	var v durationStatsJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	ms := func(f float64) time.Duration {
		return time.Duration(f * float64(time.Millisecond)).Round(time.Microsecond)
	}
	*d = DurationStats{Count: v.Count, Min: ms(v.Min), Avg: ms(v.Avg), Max: ms(v.Max), StdDev: ms(v.StdDev)}
	return nil
}

func round(d time.Duration) time.Duration { return d.Round(time.Microsecond) }

// moments accumulates durations as count, sum and sum of squares.
type moments struct {
	n        int
	sum, sq  float64
	min, max time.Duration
}

func (m *moments) add(d time.Duration) {
	if m.n == 0 || d < m.min {
		m.min = d
	}
	if d > m.max {
		m.max = d
	}
	m.n++
	f := float64(d)
	m.sum += f
	m.sq += f * f
}

func (m moments) summary() DurationStats {
	if m.n == 0 {
		return DurationStats{}
	}
	mean := m.sum / float64(m.n)
	variance := max(m.sq/float64(m.n)-mean*mean, 0)
	return DurationStats{
		Count:  m.n,
		Min:    m.min,
		Avg:    time.Duration(mean),
		Max:    m.max,
		StdDev: time.Duration(math.Sqrt(variance)),
	}
}

// state is where one connection is in its life.
type state int

const (
	notInitiated state = iota
	dialing
	established
	closed
	failed
)

// tracker counts connection states and outcomes. Once frozen it ignores every change, so the
// check closing its own connections at the end does not show up as the peer closing them.
type tracker struct {
	mu       sync.Mutex
	frozen   bool
	probing  bool
	counts   [failed + 1]int
	served   int
	connect  moments
	toError  moments
	errors   map[Cause]int
	closedBy map[Cause]int
	statuses map[int]int
}

func newTracker(total int, probing bool) *tracker {
	t := &tracker{
		probing:  probing,
		errors:   map[Cause]int{},
		closedBy: map[Cause]int{},
		statuses: map[int]int{},
	}
	t.counts[notInitiated] = total
	return t
}

func (t *tracker) move(from, to state) bool {
	if t.frozen {
		return false
	}
	t.counts[from]--
	t.counts[to]++
	return true
}

func (t *tracker) dialing() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.move(notInitiated, dialing)
}

func (t *tracker) established(took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.move(dialing, established) {
		t.connect.add(took)
	}
}

func (t *tracker) failed(took time.Duration, cause Cause) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.move(dialing, failed) {
		t.toError.add(took)
		t.errors[cause]++
	}
}

func (t *tracker) markServed(status int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.frozen {
		t.served++
		t.statuses[status]++
	}
}

func (t *tracker) closed(cause Cause) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.move(established, closed) {
		t.closedBy[cause]++
	}
}

// stop freezes the counts: later events are ignored.
func (t *tracker) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.frozen = true
}

// snapshot returns the current counts.
func (t *tracker) snapshot() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stats()
}

func (t *tracker) stats() Stats {
	c := t.counts
	return Stats{
		Total:        c[notInitiated] + c[dialing] + c[established] + c[closed] + c[failed],
		NotInitiated: c[notInitiated],
		Dialing:      c[dialing],
		Established:  c[established],
		Closed:       c[closed],
		Error:        c[failed],
		Probing:      t.probing,
		Served:       t.served,
	}
}

// freeze stops counting and fills the outcome part of a report.
func (t *tracker) freeze(r *Report) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.frozen = true
	r.Final = t.stats()
	r.Connect = t.connect.summary()
	r.TimeToError = t.toError.summary()
	r.Errors = copyMap(t.errors)
	r.ClosedBy = copyMap(t.closedBy)
	if t.probing {
		r.HTTPStatus = copyMap(t.statuses)
	}
}

func copyMap[K comparable](m map[K]int) map[K]int {
	out := make(map[K]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// joinCounts renders {"timeout": 3, "refused": 1} in the order of causes as "timeout 3, refused 1".
func joinCounts(m map[Cause]int) string {
	var parts []string
	for _, c := range causes() {
		if m[c] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c, m[c]))
		}
	}
	return strings.Join(parts, ", ")
}
