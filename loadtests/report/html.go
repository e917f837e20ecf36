package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// chartData is the time series the page's script draws, one value per second.
type chartData struct {
	T           []float64 `json:"t"` // seconds since the start
	RPS         []int64   `json:"rps"`
	Failed      []int64   `json:"failed"`
	P50         []float64 `json:"p50"` // milliseconds
	P95         []float64 `json:"p95"`
	P99         []float64 `json:"p99"`
	VUs         []int64   `json:"vus"`
	Iterations  []int64   `json:"iterations"`
	Interrupted []int64   `json:"interrupted"`
	Dropped     []int64   `json:"dropped"`
}

type nameRow struct {
	Name                         string
	Count, Failed                int64
	Avg, Med, P90, P95, P99, Max string
}

type checkRow struct {
	Name       string
	Pass, Fail int64
	// Seen lists what the failures saw: "POST /api/v1/todos got 201 ×40; …".
	Seen string
}

//go:embed charts.js
var chartsJS string

// ChartScript returns the canvas renderer the HTML reports share, for a
// page's <script>: draw(canvas, lines, xs) and drawCharts(charts, xs),
// which draws every <canvas data-chart="NAME"> from charts[NAME], a list of
// [name, colour, values] lines on the seconds xs, or [name, colour, values,
// seconds] each on its own. Each canvas gets data-drawn="true" once drawn.
func ChartScript() template.JS { return template.JS(chartsJS) }

type htmlPage struct {
	Title   string
	Start   string
	Elapsed string
	// Saturated says why the generator was saturated, empty when it was not.
	Saturated string
	Summary   string
	Names     []nameRow
	Checks    []checkRow
	Data      template.JS
	Script    template.JS
}

// HTML writes a self-contained page: charts of latency (p50, p95, p99),
// requests and failures per second, iterations and VUs over time, a table
// per request name, and the text summary. It loads nothing from the network.
func HTML(w io.Writer, s *metrics.Summary) error {
	var text bytes.Buffer
	if err := Text(&text, s); err != nil {
		return err
	}
	var d chartData
	var origin int64
	if len(s.Series) > 0 {
		origin = s.Series[0].Time
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, p := range s.Series {
		d.T = append(d.T, float64(p.Time-origin))
		d.RPS = append(d.RPS, p.Requests)
		d.Failed = append(d.Failed, p.Failed)
		d.P50 = append(d.P50, ms(p.Duration.Percentile(50)))
		d.P95 = append(d.P95, ms(p.Duration.Percentile(95)))
		d.P99 = append(d.P99, ms(p.Duration.Percentile(99)))
		d.VUs = append(d.VUs, p.VUs)
		d.Iterations = append(d.Iterations, p.Iterations)
		d.Interrupted = append(d.Interrupted, p.Interrupted)
		d.Dropped = append(d.Dropped, p.Dropped)
	}
	data, err := json.Marshal(d) // escapes <, > and &: safe inside <script>
	if err != nil {
		return fmt.Errorf("report data: %w", err)
	}
	page := htmlPage{
		Title:   s.Plan,
		Start:   s.Start.UTC().Format(time.RFC3339),
		Elapsed: cli.FormatClock(s.Elapsed()),
		Summary: text.String(),
		Data:    template.JS(data),
		Script:  ChartScript(),
	}
	if s.Generator.Saturated {
		page.Saturated = strings.Join(s.Generator.Reasons, "; ")
	}
	for _, n := range s.Names() {
		r := s.Requests[n]
		page.Names = append(page.Names, nameRow{
			Name: n, Count: r.Count, Failed: r.Failed,
			Avg: fmtDur(r.Duration.Mean()), Med: fmtDur(r.Duration.Percentile(50)),
			P90: fmtDur(r.Duration.Percentile(90)), P95: fmtDur(r.Duration.Percentile(95)),
			P99: fmtDur(r.Duration.Percentile(99)), Max: fmtDur(r.Duration.Max()),
		})
	}
	for _, n := range s.CheckNames() {
		c := s.Checks[n]
		row := checkRow{Name: n, Pass: c.Pass, Fail: c.Fail}
		var seen []string
		for _, f := range c.Failures {
			seen = append(seen, f.String())
		}
		row.Seen = strings.Join(seen, "; ")
		page.Checks = append(page.Checks, row)
	}
	return htmlTemplate.Execute(w, page)
}
