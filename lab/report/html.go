package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
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
<div class="charts">{{range .Charts}}<div class="chart"><h3>{{.Title}}</h3>{{.SVG}}</div>{{end}}</div>
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
</body></html>
`))

type pageChart struct {
	Title string
	SVG   template.HTML
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
}

// WriteHTML writes a self-contained page (no script, nothing loaded from
// the network): the verdict, both runs' charts drawn as inline SVG, the
// judged figures and both setups.
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
	}
	for _, f := range figures(res.Verdict) {
		class := "ok"
		if !f.Pass {
			class = "fail"
		}
		pg.Checks = append(pg.Checks, pageCheck{f.Name, f.Broken, f.Fixed, f.Rules, mark(f.Pass), class})
	}
	if res.Broken.Summary != nil || res.Fixed.Summary != nil {
		brps, bfail, bp95 := loadSeries(res.Broken)
		frps, ffail, fp95 := loadSeries(res.Fixed)
		pg.Charts = append(pg.Charts,
			pageChart{"Requests per second (load generator)", svgChart(brps, frps, "")},
			pageChart{"p95 latency per second (load generator)", svgChart(bp95, fp95, "ms")},
			pageChart{"Failed requests per second", svgChart(bfail, ffail, "")},
		)
	}
	for _, ch := range append(append([]lab.Chart{}, c.Charts...), commonCharts()...) {
		title := ch.Title
		if ch.Rate {
			title += " (per second)"
		}
		pg.Charts = append(pg.Charts, pageChart{title, svgChart(sampleSeries(res.Broken, ch), sampleSeries(res.Fixed, ch), ch.Unit)})
	}
	return pageTemplate.Execute(w, pg)
}

// Chart geometry, in SVG units.
const (
	chartW, chartH = 560, 200
	padL, padR     = 56, 12
	padT, padB     = 10, 26
)

// svgChart draws the broken and fixed lines on shared axes.
func svgChart(broken, fixed series, unit string) template.HTML {
	maxT, maxV := 1.0, 0.0
	for _, s := range []series{broken, fixed} {
		for i := range s.T {
			maxT = math.Max(maxT, s.T[i])
			maxV = math.Max(maxV, s.V[i])
		}
	}
	if maxV <= 0 {
		maxV = 1
	}
	maxV = niceCeil(maxV * 1.05)
	x := func(t float64) float64 { return padL + (chartW-padL-padR)*t/maxT }
	y := func(v float64) float64 { return padT + (chartH-padT-padB)*(1-v/maxV) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img">`, chartW, chartH)
	b.WriteString(`<g font-size="10" fill="#666" stroke="none">`)
	for i := 0; i <= 4; i++ {
		v := maxV * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s%s</text>`, padL-4, y(v)+3, template.HTMLEscapeString(cli.FormatNumber(v)), template.HTMLEscapeString(unitSuffix(unit)))
	}
	step := niceCeil(maxT / 6)
	for t := 0.0; t <= maxT+1e-9; t += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%ss</text>`, x(t), chartH-8, cli.FormatNumber(t))
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#999"/>`, padL, chartW-padR, y(0), y(0))
	for _, l := range []struct {
		s      series
		colour string
	}{{broken, brokenColour}, {fixed, fixedColour}} {
		if len(l.s.T) == 0 {
			continue
		}
		var pts []string
		for i := range l.s.T {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(l.s.T[i]), y(l.s.V[i])))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"/>`, l.colour, strings.Join(pts, " "))
	}
	if len(broken.T) == 0 && len(fixed.T) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#999" text-anchor="middle">no data</text>`, chartW/2, chartH/2)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func unitSuffix(unit string) string {
	if unit == "" || unit == "%" {
		return unit
	}
	return " " + unit
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
