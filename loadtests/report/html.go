package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

//go:embed charts.js
var chartsJS string

// ChartScript returns the canvas renderer of the lab's HTML report, for a
// page's <script>: draw(canvas, lines, xs) and drawCharts(charts, xs),
// which draws every <canvas data-chart="NAME"> from charts[NAME], a list of
// [name, colour, values] lines on the seconds xs, or [name, colour, values,
// seconds] each on its own. Each canvas gets data-drawn="true" once drawn.
// The load report is the dashboard's page (see HTML).
func ChartScript() template.JS { return template.JS(chartsJS) }

// HTML writes the report of a finished run (a summary.json, or several
// merged) as the live dashboard's page with the run inlined, the page
// `loadtest run --html` writes: one renderer for the live and the saved
// views. A summary keeps one point a second of all requests together, so
// the charts show VUs, requests/s, latency p50/p95/p99 of all requests,
// failures/s and dropped iterations; the tables give each request name,
// check and threshold, and the text summary follows. The page is
// self-contained (uPlot inlined) and loads nothing from the network.
func HTML(w io.Writer, s *metrics.Summary) error {
	events, err := eventsOf(s)
	if err != nil {
		return fmt.Errorf("report data: %w", err)
	}
	final, err := json.Marshal(finalOf(s))
	if err != nil {
		return fmt.Errorf("report data: %w", err)
	}
	page, err := savedPage(events, final)
	if err != nil {
		return fmt.Errorf("report data: %w", err)
	}
	_, err = w.Write(page)
	return err
}

// eventsOf turns a summary's series into the dashboard's events, one a
// second as the run sent them (thinned past MaxHistory as the live
// dashboard thins them), the last one with the checks and thresholds.
func eventsOf(s *metrics.Summary) ([][]byte, error) {
	start := float64(s.Start.UnixNano()) / float64(time.Second)
	var h history
	var ev DashboardEvent
	for i, p := range s.Series {
		// A point is labelled with the second it began in and was sent at
		// the next whole second.
		ev = DashboardEvent{
			Elapsed: max(float64(p.Time+1)-start, 0), VUs: p.VUs, VUsMax: s.VUsMax, RPS: p.Requests,
			Requests: ev.Requests + p.Requests, Failed: ev.Failed + p.Failed,
			Complete: ev.Complete + p.Iterations, Interrupted: ev.Interrupted + p.Interrupted, Dropped: ev.Dropped + p.Dropped,
		}
		if s.Elapsed() > 0 {
			ev.Elapsed = min(ev.Elapsed, s.Elapsed().Seconds())
		}
		ev.P50, ev.P95, ev.P99 = msOf(p.Duration.Percentile(50)), msOf(p.Duration.Percentile(95)), msOf(p.Duration.Percentile(99))
		if p.Failed > 0 {
			ev.Kinds = map[string]int64{"failed (all kinds)": p.Failed}
		}
		if i == len(s.Series)-1 {
			ev.Done = true
			ev.Saturated, ev.Reasons = s.Generator.Saturated, s.Generator.Reasons
			ev.Thresholds = thresholdStates(s.Thresholds)
			ev.Checks = checkStates(s.Checks, false)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		h.add(b)
	}
	return h.events(), nil
}
