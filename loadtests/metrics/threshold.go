package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Threshold is a pass/fail criterion on a run, written as k6 writes them:
//
//	checks>0.99                              rate of passed checks
//	http_req_failed<0.01                     rate of failed requests
//	http_req_duration{p95}<500ms             a statistic of a latency
//	http_req_duration{name=GET /api/v1/todos}{p(99.9)}<2s
//	checks{name=is status 201}==1            one check
//	dropped_iterations==0                    a count ({rate} for per second)
//	generator_saturated==0                   1 when the generator was saturated
//
// Latency metrics are http_req_duration, http_req_waiting,
// http_req_connecting, http_req_receiving and iteration_duration, with the
// statistics avg, min, med, max and pN or p(N); a bare number is in
// milliseconds. Rates are http_req_failed and checks, as a fraction or a
// percentage ("99%"). Counters are http_reqs, iterations,
// interrupted_iterations, dropped_iterations, data_sent and data_received.
// Operators: < <= > >= == !=. {name=…} selects one request name or check.
type Threshold struct {
	Expr   string
	Metric string
	// Name selects one request or check name; empty means all.
	Name string
	// Stat is avg, min, med, max, pN, rate or count.
	Stat string
	Op   string
	// Value is in milliseconds for latencies, a fraction for rates and a
	// count (or count per second) for counters.
	Value float64
}

// ThresholdResult is the verdict of one threshold on one summary.
type ThresholdResult struct {
	Expr string `json:"expr"`
	// Observed is the measured value in the threshold's unit.
	Observed float64 `json:"observed"`
	OK       bool    `json:"ok"`
	// Reason explains a verdict that did not come from a measurement.
	Reason string `json:"reason,omitempty"`
}

type metricKind int

const (
	kindTrend metricKind = iota
	kindRate
	kindCounter
)

var thresholdMetrics = map[string]metricKind{
	"http_req_duration":      kindTrend,
	"http_req_waiting":       kindTrend,
	"http_req_connecting":    kindTrend,
	"http_req_receiving":     kindTrend,
	"iteration_duration":     kindTrend,
	"http_req_failed":        kindRate,
	"checks":                 kindRate,
	"http_reqs":              kindCounter,
	"iterations":             kindCounter,
	"interrupted_iterations": kindCounter,
	"dropped_iterations":     kindCounter,
	"data_sent":              kindCounter,
	"data_received":          kindCounter,
	"generator_saturated":    kindCounter,
}

var thresholdOps = []string{"<=", ">=", "==", "!=", "<", ">"}

// ParseThreshold parses one threshold expression. It returns an error that
// names what is wrong: an unknown metric, a statistic the metric does not
// have, a missing operator or a value that is not a number.
func ParseThreshold(expr string) (Threshold, error) {
	t := Threshold{Expr: strings.TrimSpace(expr)}
	s := t.Expr
	end := strings.IndexAny(s, "{<>=!")
	if end < 0 {
		return t, fmt.Errorf("threshold %q: no operator (want e.g. http_req_duration{p95}<500ms)", expr)
	}
	t.Metric = strings.TrimSpace(s[:end])
	kind, ok := thresholdMetrics[t.Metric]
	if !ok {
		return t, fmt.Errorf("threshold %q: unknown metric %q (know: %s)", expr, t.Metric, strings.Join(sortedKeys(thresholdMetrics), ", "))
	}
	s = s[end:]
	for strings.HasPrefix(s, "{") {
		depth, close := 0, -1
		for i, c := range s {
			if c == '{' {
				depth++
			} else if c == '}' {
				depth--
				if depth == 0 {
					close = i
					break
				}
			}
		}
		if close < 0 {
			return t, fmt.Errorf("threshold %q: unbalanced {", expr)
		}
		sel := strings.TrimSpace(s[1:close])
		s = strings.TrimSpace(s[close+1:])
		if n, ok := strings.CutPrefix(sel, "name="); ok {
			t.Name = n
		} else if n, ok := strings.CutPrefix(sel, "name:"); ok {
			t.Name = strings.TrimSpace(n)
		} else {
			t.Stat = sel
		}
	}
	for _, op := range thresholdOps {
		if v, ok := strings.CutPrefix(s, op); ok {
			t.Op = op
			s = strings.TrimSpace(v)
			break
		}
	}
	if t.Op == "" {
		return t, fmt.Errorf("threshold %q: want one of < <= > >= == != after the metric", expr)
	}
	var err error
	switch kind {
	case kindTrend:
		if t.Stat == "" {
			return t, fmt.Errorf("threshold %q: %s needs a statistic such as {p95} or {avg}", expr, t.Metric)
		}
		if _, err := statPercentile(t.Stat); err != nil {
			return t, fmt.Errorf("threshold %q: %w", expr, err)
		}
		t.Value, err = parseMillis(s)
	case kindRate:
		if t.Stat != "" && t.Stat != "rate" {
			return t, fmt.Errorf("threshold %q: %s is a rate; it has no statistic %q", expr, t.Metric, t.Stat)
		}
		t.Stat = "rate"
		t.Value, err = parseRate(s)
	case kindCounter:
		if t.Stat == "" {
			t.Stat = "count"
		}
		if t.Stat != "count" && t.Stat != "rate" {
			return t, fmt.Errorf("threshold %q: %s has {count} or {rate}, not %q", expr, t.Metric, t.Stat)
		}
		if t.Metric == "generator_saturated" && t.Stat != "count" {
			return t, fmt.Errorf("threshold %q: generator_saturated is 0 or 1; it has no {%s}", expr, t.Stat)
		}
		if t.Name != "" && !strings.HasPrefix(t.Metric, "http_") && !strings.HasPrefix(t.Metric, "data_") {
			return t, fmt.Errorf("threshold %q: %s has no names to select", expr, t.Metric)
		}
		t.Value, err = strconv.ParseFloat(s, 64)
	}
	if err != nil {
		return t, fmt.Errorf("threshold %q: value %q: %w", expr, s, err)
	}
	if t.Name != "" && t.Metric == "iteration_duration" {
		return t, fmt.Errorf("threshold %q: iteration_duration has no names to select", expr)
	}
	return t, nil
}

// ParseThresholds parses each expression; it stops at the first error.
func ParseThresholds(exprs []string) ([]Threshold, error) {
	out := make([]Threshold, 0, len(exprs))
	for _, e := range exprs {
		t, err := ParseThreshold(e)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// statPercentile maps a statistic to a percentile; avg maps to -1.
func statPercentile(stat string) (float64, error) {
	switch stat {
	case "avg":
		return -1, nil
	case "min":
		return 0, nil
	case "med":
		return 50, nil
	case "max":
		return 100, nil
	}
	p, ok := strings.CutPrefix(stat, "p")
	if ok {
		p = strings.TrimSuffix(strings.TrimPrefix(p, "("), ")")
		if v, err := strconv.ParseFloat(p, 64); err == nil && v >= 0 && v <= 100 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("unknown statistic %q (want avg, min, med, max, p95, p(99.9))", stat)
}

func parseMillis(s string) (float64, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 500ms or 1.5s")
	}
	return float64(d) / float64(time.Millisecond), nil
}

func parseRate(s string) (float64, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		return v / 100, err
	}
	return strconv.ParseFloat(s, 64)
}

// Evaluate measures the threshold's metric on s and compares. A threshold
// whose metric has no samples (a check name that never ran, say) is crossed:
// it could not be shown to hold.
func (t Threshold) Evaluate(s *Summary) ThresholdResult {
	res := ThresholdResult{Expr: t.Expr}
	v, ok := t.observe(s)
	if !ok {
		res.Reason = "no samples"
		return res
	}
	res.Observed = v
	switch t.Op {
	case "<":
		res.OK = v < t.Value
	case "<=":
		res.OK = v <= t.Value
	case ">":
		res.OK = v > t.Value
	case ">=":
		res.OK = v >= t.Value
	case "==":
		res.OK = math.Abs(v-t.Value) < 1e-9
	case "!=":
		res.OK = math.Abs(v-t.Value) >= 1e-9
	}
	return res
}

func (t Threshold) requests(s *Summary) (*RequestStats, bool) {
	if t.Name == "" {
		return s.Total(), true
	}
	r, ok := s.Requests[t.Name]
	return r, ok
}

func (t Threshold) observe(s *Summary) (float64, bool) {
	secs := s.Elapsed().Seconds()
	perSecond := func(n int64) (float64, bool) {
		if t.Stat == "rate" {
			if secs <= 0 {
				return 0, false
			}
			return float64(n) / secs, true
		}
		return float64(n), true
	}
	switch t.Metric {
	case "checks":
		var c CheckStats
		if t.Name == "" {
			c = s.ChecksTotal()
		} else if one, ok := s.Checks[t.Name]; ok {
			c = *one
		}
		if c.Pass+c.Fail == 0 {
			return 0, false
		}
		return float64(c.Pass) / float64(c.Pass+c.Fail), true
	case "http_req_failed":
		r, ok := t.requests(s)
		if !ok || r.Count == 0 {
			return 0, false
		}
		return float64(r.Failed) / float64(r.Count), true
	case "http_reqs", "data_sent", "data_received":
		r, ok := t.requests(s)
		if !ok {
			return 0, false
		}
		n := map[string]int64{"http_reqs": r.Count, "data_sent": r.BytesSent, "data_received": r.BytesReceived}[t.Metric]
		return perSecond(n)
	case "iterations":
		return perSecond(s.Iterations.Complete)
	case "interrupted_iterations":
		return perSecond(s.Iterations.Interrupted)
	case "dropped_iterations":
		return perSecond(s.Iterations.Dropped)
	case "generator_saturated":
		if s.Generator.Saturated {
			return 1, true
		}
		return 0, true
	}
	var h *Histogram
	if t.Metric == "iteration_duration" {
		h = s.Iterations.Duration
	} else {
		r, ok := t.requests(s)
		if !ok {
			return 0, false
		}
		h = map[string]*Histogram{
			"http_req_duration":   r.Duration,
			"http_req_waiting":    r.Waiting,
			"http_req_connecting": r.Connecting,
			"http_req_receiving":  r.Receiving,
		}[t.Metric]
	}
	if h.Count() == 0 {
		return 0, false
	}
	p, _ := statPercentile(t.Stat)
	var d time.Duration
	switch {
	case p < 0:
		d = h.Mean()
	case p == 0:
		d = h.Min()
	case p == 100:
		d = h.Max()
	default:
		d = h.Percentile(p)
	}
	return float64(d) / float64(time.Millisecond), true
}

// EvaluateAll evaluates every threshold on s and tells whether all held.
func EvaluateAll(s *Summary, ts []Threshold) ([]ThresholdResult, bool) {
	all := true
	var out []ThresholdResult
	for _, t := range ts {
		r := t.Evaluate(s)
		all = all && r.OK
		out = append(out, r)
	}
	return out, all
}

// ObservedText returns the observed value with the threshold's unit:
// "10.56ms" for a latency, "99.50%" for a rate, "12" or "3.5/s" for a
// counter, "1.2 kB" for bytes. A verdict without a measurement returns
// its Reason.
func (r ThresholdResult) ObservedText() string {
	if r.Reason != "" {
		return r.Reason
	}
	v := r.Observed
	t, err := ParseThreshold(r.Expr)
	if err != nil {
		return fmt.Sprintf("%.4g", v)
	}
	perSecond := ""
	if t.Stat == "rate" {
		perSecond = "/s"
	}
	switch kind := thresholdMetrics[t.Metric]; {
	case kind == kindTrend:
		return fmt.Sprintf("%.2fms", v)
	case kind == kindRate:
		return fmt.Sprintf("%.2f%%", 100*v)
	case strings.HasPrefix(t.Metric, "data_"):
		return fmt.Sprintf("%.4g B%s", v, perSecond)
	}
	return fmt.Sprintf("%.4g%s", v, perSecond)
}
