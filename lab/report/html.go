package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/taskoverflow-lab/taskoverflow/lab"
	loadreport "github.com/taskoverflow-lab/taskoverflow/loadtests/report"
)

// The colours of the two runs in every chart.
const (
	brokenColour = "#c0392b"
	fixedColour  = "#2471a3"
)

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Name}}: bottleneck lab</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
blockquote{margin:8px 0;padding:4px 12px;border-left:3px solid #bbb;color:#555;white-space:pre-wrap}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.ok{color:#1e8449;font-weight:600}.fail{color:#c0392b;font-weight:600}
.verdict{font-size:16px;padding:8px 12px;border-radius:4px;background:#f4f6f7}
.charts{display:grid;grid-template-columns:repeat(2,1fr);gap:12px}
.chart{border:1px solid #e5e5e5;border-radius:4px;padding:6px}
.chart h3{font-size:13px;margin:0 0 2px;font-weight:600}
canvas{width:100%;height:200px;display:block}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:4px}
</style></head><body>
<h1>{{.Name}}</h1>
<div>{{.Story}}</div>
<div>Source: {{.Source}}</div>
<blockquote>{{.Passage}}</blockquote>
<p class="verdict">{{.Verdict}}</p>
<p>The {{.Control}}.</p>{{if .Note}}
<p>{{.Note}}</p>{{end}}
<div class="legend"><span><i style="background:{{.BrokenColour}}"></i>broken: {{.BrokenSummary}}</span><span><i style="background:{{.FixedColour}}"></i>fixed: {{.FixedSummary}}</span></div>
<h2>Charts (seconds since each run started)</h2>
<div class="charts">{{range .Charts}}<div class="chart"><h3>{{.Title}}</h3><canvas data-chart="{{.ID}}"></canvas></div>{{end}}</div>
<h2>Judged figures</h2>
<table><tr><th>figure</th><th>broken</th><th>fixed</th><th>rule</th><th></th></tr>
{{range .Checks}}<tr><td>{{.Name}}</td><td>{{.Broken}}</td><td>{{.Fixed}}</td><td>{{.Rule}}</td><td class="{{.Class}}">{{.Mark}}</td></tr>
{{end}}</table>
<h2>Measured</h2>
<table><tr><th></th><th>broken</th><th>fixed</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td>{{.Broken}}</td><td>{{.Fixed}}</td></tr>
{{end}}</table>
<h2>Setups</h2>
<table><tr><th>broken</th><th>fixed</th></tr>
<tr><td>{{range .BrokenSettings}}{{.}}<br>{{end}}</td><td>{{range .FixedSettings}}{{.}}<br>{{end}}</td></tr></table>
<script>
const CHARTS = {{.Data}};
{{.Script}}
drawCharts(CHARTS, []);
</script>
</body></html>
`))

type pageChart struct {
	Title, ID string
}

type pageCheck struct {
	Name, Broken, Fixed, Rule, Mark, Class string
}

type page struct {
	Name, Story, Source, Passage, Verdict string
	Control, Note                         string
	BrokenColour, FixedColour             string
	BrokenSummary, FixedSummary           string
	Charts                                []pageChart
	Checks                                []pageCheck
	Rows                                  []figureRow
	BrokenSettings, FixedSettings         []string
	// Data holds each chart's lines for the script: the broken and the
	// fixed run, each on its own seconds.
	Data   template.JS
	Script template.JS
}

// WriteHTML writes a self-contained page (nothing loaded from the network):
// the verdict, both runs' charts drawn by the load report's canvas renderer
// (report.ChartScript of package loadtests/report), the judged figures and
// both setups.
func WriteHTML(w io.Writer, res *lab.Result) error {
	c := res.Case
	pg := page{
		Name: c.Name, Story: c.Story, Source: c.Source, Passage: strings.TrimSpace(c.Passage),
		Verdict: verdictLine(res),
		Control: ControlExplained, Note: c.Note,
		BrokenColour: brokenColour, FixedColour: fixedColour,
		BrokenSummary: res.Broken.Setup.Summary, FixedSummary: res.Fixed.Setup.Summary,
		Rows:           measuredRows(res),
		BrokenSettings: res.Broken.Setup.Describe(), FixedSettings: res.Fixed.Setup.Describe(),
		Script: loadreport.ChartScript(),
	}
	for _, f := range figures(res.Verdict) {
		class := "ok"
		if !f.Pass {
			class = "fail"
		}
		pg.Checks = append(pg.Checks, pageCheck{f.Name, f.Broken, f.Fixed, f.Rules, mark(f.Pass), class})
	}
	data := map[string][]chartLine{}
	add := func(title, unit string, broken, fixed series) {
		id := fmt.Sprintf("c%d", len(pg.Charts))
		if unit != "" {
			title += " (" + unit + ")"
		}
		pg.Charts = append(pg.Charts, pageChart{Title: title, ID: id})
		data[id] = []chartLine{{"broken", brokenColour, broken}, {"fixed", fixedColour, fixed}}
	}
	if res.Broken.Summary != nil || res.Fixed.Summary != nil {
		brps, bfail, bp95 := loadSeries(res.Broken)
		frps, ffail, fp95 := loadSeries(res.Fixed)
		add("Requests per second (load generator)", "", brps, frps)
		add("p95 latency per second (load generator)", "ms", bp95, fp95)
		add("Failed requests per second", "", bfail, ffail)
	}
	for _, ch := range append(append([]lab.Chart{}, c.Charts...), commonCharts()...) {
		title := ch.Title
		if ch.Rate {
			title += " per second"
		}
		add(title, ch.Unit, sampleSeries(res.Broken, ch), sampleSeries(res.Fixed, ch))
	}
	b, err := json.Marshal(data) // escapes <, > and &: safe inside <script>
	if err != nil {
		return fmt.Errorf("report data: %w", err)
	}
	pg.Data = template.JS(b)
	return pageTemplate.Execute(w, pg)
}

// chartLine is one run's line as the renderer takes it: [name, colour,
// values, seconds].
type chartLine struct {
	name, colour string
	s            series
}

// MarshalJSON writes the line as the renderer's array.
func (l chartLine) MarshalJSON() ([]byte, error) {
	v, t := l.s.V, l.s.T
	if v == nil {
		v, t = []float64{}, []float64{}
	}
	return json.Marshal([]any{l.name, l.colour, v, t})
}
