package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// Text writes the end-of-test summary in k6's shape: scenarios, checks with
// per-check counts, then one line per metric (http_req_duration with its
// avg/min/med/max/p90/p95/p99, per request name too), followed by the
// thresholds, the errors grouped by message, the slowest requests with their
// request ids, and the scenario's findings.
func Text(w io.Writer, s *metrics.Summary) error {
	tw := &textWriter{w: w}
	tw.scenarios(s)
	tw.generator(s)
	tw.checks(s)
	tw.metrics(s)
	tw.thresholds(s)
	tw.errors(s)
	tw.slowest(s)
	tw.findings(s)
	return tw.err
}

type textWriter struct {
	w   io.Writer
	err error
	// width is where metric values start, past the longest label.
	width int
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func (t *textWriter) scenarios(s *metrics.Summary) {
	maxVUs := 0
	for _, sc := range s.Scenarios {
		maxVUs += sc.MaxVUs
	}
	runs := ""
	if s.Runs > 1 {
		runs = fmt.Sprintf(", %d runs merged", s.Runs)
	}
	t.printf("\n  plan: %s%s\n", s.Plan, runs)
	t.printf("  scenarios: %d scenarios, %d max VUs, ran %s:\n", len(s.Scenarios), maxVUs, cli.FormatClock(s.Elapsed()))
	for _, sc := range s.Scenarios {
		t.printf("           * %s: %s\n", sc.Name, sc.Description)
	}
	last, _, _ := s.VUs()
	t.printf("\nrunning (%s), %04d/%04d VUs, %d complete and %d interrupted iterations\n",
		cli.FormatClock(s.Elapsed()), last, s.VUsMax, s.Iterations.Complete, s.Iterations.Interrupted)
}

func (t *textWriter) checks(s *metrics.Summary) {
	if len(s.Checks) == 0 {
		return
	}
	t.printf("\n")
	for _, name := range s.CheckNames() {
		c := s.Checks[name]
		if c.Fail == 0 {
			t.printf("     ✓ %s\n", name)
			continue
		}
		seen := ""
		if len(c.Failures) > 0 {
			parts := make([]string, len(c.Failures))
			for i, f := range c.Failures {
				parts[i] = f.String()
			}
			seen = " (" + strings.Join(parts, "; ") + ")"
		}
		t.printf("     ✗ %s\n      ↳  %.0f%% — ✓ %d / ✗ %d%s\n", name, percent(c.Pass, c.Pass+c.Fail), c.Pass, c.Fail, seen)
	}
}

// metricLine prints "     name.....: value" with k6's dotted padding.
func (t *textWriter) metricLine(indent int, name, value string) {
	label := strings.Repeat(" ", indent) + name
	dots := t.width - len([]rune(label))
	if dots < 3 {
		dots = 3
	}
	t.printf("     %s%s: %s\n", label, strings.Repeat(".", dots), value)
}

func trend(h *metrics.Histogram) string {
	return fmt.Sprintf("avg=%s min=%s med=%s max=%s p(90)=%s p(95)=%s p(99)=%s",
		fmtDur(h.Mean()), fmtDur(h.Min()), fmtDur(h.Percentile(50)), fmtDur(h.Max()),
		fmtDur(h.Percentile(90)), fmtDur(h.Percentile(95)), fmtDur(h.Percentile(99)))
}

func (t *textWriter) metrics(s *metrics.Summary) {
	el := s.Elapsed()
	total := s.Total()
	t.width = 34
	if names := s.Names(); len(names) > 1 {
		for _, n := range names {
			t.width = max(t.width, len([]rune(n))+2+len("{ name: }")+3)
		}
	}
	t.printf("\n")
	if len(s.Checks) > 0 {
		c := s.ChecksTotal()
		t.metricLine(0, "checks", fmt.Sprintf("%.2f%% ✓ %-9d ✗ %d", percent(c.Pass, c.Pass+c.Fail), c.Pass, c.Fail))
	}
	t.metricLine(0, "data_received", fmt.Sprintf("%s %s/s", fmtBytes(float64(total.BytesReceived)), fmtBytes(perSecond(total.BytesReceived, el))))
	t.metricLine(0, "data_sent", fmt.Sprintf("%s %s/s", fmtBytes(float64(total.BytesSent)), fmtBytes(perSecond(total.BytesSent, el))))
	if s.Iterations.Dropped > 0 {
		t.metricLine(0, "dropped_iterations", fmt.Sprintf("%-6d %s", s.Iterations.Dropped, fmtRate(perSecond(s.Iterations.Dropped, el))))
	}
	t.metricLine(0, "http_req_connecting", trend(total.Connecting))
	t.metricLine(0, "http_req_duration", trend(total.Duration))
	if names := s.Names(); len(names) > 1 {
		for _, n := range names {
			t.metricLine(2, "{ name:"+n+" }", trend(s.Requests[n].Duration))
		}
	}
	t.metricLine(0, "http_req_failed", fmt.Sprintf("%.2f%% ✓ %-9d ✗ %d", percent(total.Failed, total.Count), total.Failed, total.Count-total.Failed))
	if len(total.Failures) > 0 {
		kinds := make([]string, 0, len(total.Failures))
		for k := range total.Failures {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			t.metricLine(2, "{ "+k+" }", fmt.Sprint(total.Failures[k]))
		}
	}
	t.metricLine(0, "http_req_receiving", trend(total.Receiving))
	t.metricLine(0, "http_req_waiting", trend(total.Waiting))
	t.metricLine(0, "http_reqs", fmt.Sprintf("%-6d %s", total.Count, fmtRate(perSecond(total.Count, el))))
	if s.Iterations.Duration.Count() > 0 {
		t.metricLine(0, "iteration_duration", trend(s.Iterations.Duration))
	}
	t.metricLine(0, "iterations", fmt.Sprintf("%-6d %s", s.Iterations.Complete, fmtRate(perSecond(s.Iterations.Complete, el))))
	if s.Iterations.Interrupted > 0 {
		t.metricLine(0, "interrupted_iterations", fmt.Sprint(s.Iterations.Interrupted))
	}
	last, lo, hi := s.VUs()
	t.metricLine(0, "vus", fmt.Sprintf("%-6d min=%-6d max=%d", last, lo, hi))
	t.metricLine(0, "vus_max", fmt.Sprint(s.VUsMax))
}

func (t *textWriter) thresholds(s *metrics.Summary) {
	if len(s.Thresholds) == 0 {
		return
	}
	t.printf("\n     thresholds:\n")
	for _, r := range s.Thresholds {
		mark := "✓"
		if !r.OK {
			mark = "✗"
		}
		t.printf("     %s %s (observed %s)\n", mark, r.Expr, r.ObservedText())
	}
}

func (t *textWriter) errors(s *metrics.Summary) {
	if len(s.Errors) == 0 {
		return
	}
	answered := s.Total().Answered() > 0
	t.printf("\n     errors by message:\n")
	for i, e := range s.Errors {
		if i == 20 {
			t.printf("       … %d more groups in summary.json\n", len(s.Errors)-i)
			break
		}
		t.printf("       %6d  %s: %s\n", e.Count, e.Name, e.Message)
		if e.RequestID != "" && answered {
			t.printf("               e.g. %s request_id=%s\n", e.URL, e.RequestID)
		}
	}
}

func (t *textWriter) slowest(s *metrics.Summary) {
	// Requests that never reached a server are in no server's logs.
	if len(s.Slowest) == 0 || s.Total().Answered() == 0 {
		return
	}
	t.printf("\n     slowest requests (find them in the server's logs by request_id):\n")
	for _, r := range s.Slowest {
		status := fmt.Sprint(r.Status)
		if r.Error != "" {
			status = r.Error
		}
		t.printf("       %9s  %-40s %s  request_id=%s  at %s\n", fmtDur(r.Duration), r.Method+" "+r.URL, status, r.RequestID, r.Time.UTC().Format(time.TimeOnly))
	}
}

func (t *textWriter) findings(s *metrics.Summary) {
	if len(s.Findings) == 0 {
		return
	}
	t.printf("\n     findings:\n")
	keys := make([]string, 0, len(s.Findings))
	for k := range s.Findings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.printf("       %s: %d\n", k, s.Findings[k])
	}
	t.printf("\n")
}

// generator warns, before any figure, when the load generator was the
// bottleneck.
func (t *textWriter) generator(s *metrics.Summary) {
	if !s.Generator.Saturated {
		return
	}
	t.printf("\n  ⚠ the load generator was saturated: %s.\n", strings.Join(s.Generator.Reasons, "; "))
	t.printf("    These figures understate the server: run fewer VUs per machine, or shard the run (loadtest merge).\n")
}
