// Package report writes a lab case's results for a person: the side-by-side
// text the command prints, report.md, a self-contained report.html with
// both runs' charts, verdict.json, and the index of a lab run.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
)

// series is one line of a chart: a value per second since the run started.
type series struct {
	T []float64
	V []float64
}

// sampleSeries returns a sample series of run as a line: the value, or with
// rate its increase per second.
func sampleSeries(run *lab.SetupRun, c lab.Chart) series {
	var out series
	scale := c.Scale
	if scale == 0 {
		scale = 1
	}
	var prevT, prevV float64
	havePrev := false
	for _, s := range run.Samples {
		v, ok := s.Values[c.Series]
		if !ok {
			continue
		}
		t := s.T.Seconds()
		if c.Rate {
			if havePrev && t > prevT {
				out.T = append(out.T, t)
				out.V = append(out.V, scale*(v-prevV)/(t-prevT))
			}
			prevT, prevV, havePrev = t, v, true
			continue
		}
		out.T = append(out.T, t)
		out.V = append(out.V, scale*v)
	}
	return out
}

// loadSeries returns the load's requests per second, failures per second
// and p95 latency (ms) per second, on the run's clock.
func loadSeries(run *lab.SetupRun) (rps, failed, p95 series) {
	if run.Summary == nil {
		return
	}
	for _, p := range run.Summary.Series {
		t := time.Unix(p.Time, 0).Sub(run.Start).Seconds() + 0.5
		rps.T, failed.T = append(rps.T, t), append(failed.T, t)
		rps.V, failed.V = append(rps.V, float64(p.Requests)), append(failed.V, float64(p.Failed))
		if p.Duration != nil && p.Duration.Count() > 0 {
			p95.T = append(p95.T, t)
			p95.V = append(p95.V, float64(p.Duration.Percentile(95).Microseconds())/1000)
		}
	}
	return
}

// commonCharts are drawn for every case, after its own.
func commonCharts() []lab.Chart {
	return []lab.Chart{
		{Title: "API CPU", Series: sample.SeriesCPUPercent, Unit: "%"},
		{Title: "API resident memory", Series: sample.SeriesRSSBytes, Scale: 1.0 / (1 << 20), Unit: "MiB"},
		{Title: "API open file descriptors", Series: sample.SeriesFDs},
	}
}

// figureRow is one line of the side-by-side table of measured figures.
type figureRow struct {
	Name          string
	Broken, Fixed string
}

// loadRows are the load's figures of both runs.
func loadRows(b, f *lab.SetupRun) []figureRow {
	var rows []figureRow
	add := func(name string, get func(*lab.SetupRun) string) {
		rows = append(rows, figureRow{name, get(b), get(f)})
	}
	if b.Summary != nil || f.Summary != nil {
		sum := func(fn func(*lab.SetupRun) string) func(*lab.SetupRun) string {
			return func(r *lab.SetupRun) string {
				if r.Summary == nil {
					return "-"
				}
				return fn(r)
			}
		}
		add("requests", sum(func(r *lab.SetupRun) string { t, _ := r.Requests(); return fmt.Sprint(t) }))
		add("requests/s", sum(func(r *lab.SetupRun) string {
			t, _ := r.Requests()
			return cli.FormatNumber(float64(t) / r.Elapsed.Seconds())
		}))
		add("failed requests", sum(func(r *lab.SetupRun) string {
			_, failed := r.Requests()
			return fmt.Sprintf("%d (%.2f%%)", failed, 100*r.FailedRate())
		}))
		add("p50 / p95 / p99", sum(func(r *lab.SetupRun) string {
			h := r.Summary.Total().Duration
			return fmt.Sprintf("%s / %s / %s", cli.FormatDuration(h.Percentile(50)), cli.FormatDuration(h.Percentile(95)), cli.FormatDuration(h.Percentile(99)))
		}))
		add("checks passed", sum(func(r *lab.SetupRun) string {
			c := r.Summary.ChecksTotal()
			if c.Pass+c.Fail == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f%% (%d of %d)", 100*(1-r.CheckFailRate()), c.Pass, c.Pass+c.Fail)
		}))
		add("iterations (complete / interrupted)", sum(func(r *lab.SetupRun) string {
			return fmt.Sprintf("%d / %d", r.Summary.Iterations.Complete, r.Summary.Iterations.Interrupted)
		}))
	}
	if b.Conn != nil || f.Conn != nil {
		conn := func(fn func(*lab.SetupRun) string) func(*lab.SetupRun) string {
			return func(r *lab.SetupRun) string {
				if r.Conn == nil {
					return "-"
				}
				return fn(r)
			}
		}
		add("connections established / tried", conn(func(r *lab.SetupRun) string {
			return fmt.Sprintf("%d / %d", r.Conn.Final.Established, r.Conn.Connections)
		}))
		add("connections served (HTTP probe)", conn(func(r *lab.SetupRun) string { return fmt.Sprint(r.Conn.Final.Served) }))
		add("connection errors", conn(func(r *lab.SetupRun) string { return fmtCauses(r.Conn.Errors) }))
		add("closed by the server", conn(func(r *lab.SetupRun) string { return fmtCauses(r.Conn.ClosedBy) }))
	}
	peak := func(series string, scale float64, unit string) func(*lab.SetupRun) string {
		return func(r *lab.SetupRun) string { return cli.FormatNumber(r.Peak(series)*scale) + unit }
	}
	add("health checks failed", func(r *lab.SetupRun) string {
		return fmt.Sprintf("%s of %s", cli.FormatNumber(r.Sum(sample.SeriesHealthFailed)), cli.FormatNumber(r.Sum(sample.SeriesHealthChecks)))
	})
	add("peak API CPU", peak(sample.SeriesCPUPercent, 1, "%"))
	add("peak API RSS", peak(sample.SeriesRSSBytes, 1.0/(1<<20), " MiB"))
	add("peak API open fds", peak(sample.SeriesFDs, 1, ""))
	add("peak Postgres connections", peak(sample.SeriesPGConnections, 1, ""))
	add("peak Redis connected clients", peak(sample.SeriesRedisClients, 1, ""))
	add("API CPU limit", func(r *lab.SetupRun) string { return r.CPU })
	if b.Capacity > 0 || f.Capacity > 0 {
		// The calibration that sized the load (see lab.Calibration).
		add("API capacity, calibrated", func(r *lab.SetupRun) string {
			if r.Capacity == 0 {
				return "load sized as the broken run's"
			}
			return cli.FormatNumber(r.Capacity) + " requests/s"
		})
	}
	return rows
}

func fmtCauses[K ~string](m map[K]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for k, v := range m {
		if v > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, v))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// figure is one judged figure of both runs with every rule on it: a
// symptom rule on the broken run, a fix rule on the fixed one, or both.
type figure struct {
	Name, Broken, Fixed string
	// Rules joins the rules' bounds; Pass is whether all of them held.
	Rules string
	Pass  bool
}

// figures groups a verdict's rules by figure, in the order they come, so
// that a figure judged twice prints once.
func figures(v lab.Verdict) []figure {
	var out []figure
	at := map[string]int{}
	for _, r := range v.Rules {
		i, ok := at[r.Name]
		if !ok {
			at[r.Name] = len(out)
			out = append(out, figure{Name: r.Name, Broken: lab.WithUnit(r.Broken, r.Unit), Fixed: lab.WithUnit(r.Fixed, r.Unit), Rules: r.Rule, Pass: r.Pass})
			continue
		}
		out[i].Rules += ", " + r.Rule
		out[i].Pass = out[i].Pass && r.Pass
	}
	return out
}

// measuredRows are the load's and the server's figures of both runs, less
// those a rule already shows.
func measuredRows(res *lab.Result) []figureRow {
	judged := map[string]bool{}
	for _, r := range res.Verdict.Rules {
		judged[r.Name] = true
	}
	var out []figureRow
	for _, r := range loadRows(res.Broken, res.Fixed) {
		if !judged[r.Name] {
			out = append(out, r)
		}
	}
	return out
}

// ControlExplained says what the control is, for a reader who meets the word.
const ControlExplained = "the control judges the fixed run by the broken run's rules: it must not show the symptom, or the rules cannot tell a fix from a bug"

// verdictLine says in words what the verdict and the control found.
func verdictLine(res *lab.Result) string {
	var b strings.Builder
	switch {
	case res.Verdict.Passed():
		b.WriteString("REPRODUCED and CLEARED")
	case res.Verdict.Reproduced:
		b.WriteString("reproduced, but the fix did NOT clear it")
	case res.Verdict.Cleared:
		b.WriteString("NOT reproduced (the fixed run is clean)")
	default:
		b.WriteString("NOT reproduced, NOT cleared")
	}
	if res.Control.Reproduced {
		b.WriteString("; control FAILED: the fixed run shows the symptom too")
	} else {
		b.WriteString("; control ok")
	}
	return b.String()
}

func mark(pass bool) string {
	if pass {
		return "ok"
	}
	return "FAIL"
}

// WriteText prints a case's result side by side: the figures with their
// rules, the load and server figures, and the verdict.
func WriteText(w io.Writer, res *lab.Result) error {
	fmt.Fprintf(w, "\n%s (%s)\n", res.Case.Name, res.Case.Source)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  judged\tbroken\tfixed\trule\t\n")
	for _, f := range figures(res.Verdict) {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", f.Name, f.Broken, f.Fixed, f.Rules, mark(f.Pass))
	}
	fmt.Fprintf(tw, "  \t\t\t\t\n")
	fmt.Fprintf(tw, "  measured\t\t\t\t\n")
	for _, r := range measuredRows(res) {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t\t\n", r.Name, r.Broken, r.Fixed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "  verdict: %s\n", verdictLine(res))
	if res.Case.Note != "" {
		fmt.Fprintf(w, "  note: %s\n", res.Case.Note)
	}
	_, err := fmt.Fprintf(w, "  (%s)\n", ControlExplained)
	return err
}

// resultFile is verdict.json: the verdicts and where each run's files are.
type resultFile struct {
	Case    string             `json:"case"`
	Source  string             `json:"source"`
	OK      bool               `json:"ok"`
	Verdict lab.Verdict        `json:"verdict"`
	Control lab.Verdict        `json:"control"`
	Runs    map[string]runFile `json:"runs"`
}

type runFile struct {
	Settings []string  `json:"settings"`
	CPU      string    `json:"cpu"`
	Start    time.Time `json:"start"`
	Elapsed  float64   `json:"elapsed_s"`
}

// WriteFiles writes verdict.json, report.md and report.html into res.Dir.
// It writes nothing when res.Dir is empty.
func WriteFiles(res *lab.Result) error {
	if res.Dir == "" {
		return nil
	}
	vf := resultFile{Case: res.Case.Name, Source: res.Case.Source, OK: res.OK(), Verdict: res.Verdict, Control: res.Control,
		Runs: map[string]runFile{}}
	for _, r := range []*lab.SetupRun{res.Broken, res.Fixed} {
		vf.Runs[r.Label] = runFile{Settings: r.Setup.Describe(), CPU: r.CPU, Start: r.Start, Elapsed: r.Elapsed.Seconds()}
	}
	b, err := json.MarshalIndent(vf, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(res.Dir, "verdict.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	md, err := os.Create(filepath.Join(res.Dir, "report.md"))
	if err != nil {
		return err
	}
	if err := WriteMarkdown(md, res); err != nil {
		md.Close()
		return err
	}
	if err := md.Close(); err != nil {
		return err
	}
	page, err := os.Create(filepath.Join(res.Dir, "report.html"))
	if err != nil {
		return err
	}
	if err := WriteHTML(page, res); err != nil {
		page.Close()
		return err
	}
	return page.Close()
}

// WriteMarkdown writes a case's report: the incident, both setups, the
// judged figures, the load and server figures, and the verdict.
func WriteMarkdown(w io.Writer, res *lab.Result) error {
	c := res.Case
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("# %s\n\n", c.Name)
	p("%s\n\n", c.Story)
	p("Source: %s\n\n", c.Source)
	for line := range strings.Lines(c.Passage) {
		p("> %s", line)
	}
	p("\n\n## Verdict\n\n%s.\n\n", verdictLine(res))
	p("The %s.\n\n", ControlExplained)
	if c.Note != "" {
		p("%s\n\n", c.Note)
	}
	p("| figure | broken | fixed | rule | |\n|---|---|---|---|---|\n")
	for _, f := range figures(res.Verdict) {
		p("| %s | %s | %s | %s | %s |\n", f.Name, f.Broken, f.Fixed, f.Rules, mark(f.Pass))
	}
	p("\n## Setups\n\n| | broken | fixed |\n|---|---|---|\n")
	p("| what | %s | %s |\n", res.Broken.Setup.Summary, res.Fixed.Setup.Summary)
	p("| settings | %s | %s |\n", strings.Join(res.Broken.Setup.Describe(), "<br>"), strings.Join(res.Fixed.Setup.Describe(), "<br>"))
	p("| started | %s | %s |\n", res.Broken.Start.Format(time.RFC3339), res.Fixed.Start.Format(time.RFC3339))
	p("| load lasted | %s | %s |\n", cli.FormatDuration(res.Broken.Elapsed), cli.FormatDuration(res.Fixed.Elapsed))
	p("\n## Measured\n\n| | broken | fixed |\n|---|---|---|\n")
	for _, r := range measuredRows(res) {
		p("| %s | %s | %s |\n", r.Name, r.Broken, r.Fixed)
	}
	p("\n## Files\n\n")
	p("- `broken/` and `fixed/`: `summary.json` (the load's summary) or `conncheck.json`, `samples.jsonl` (one object per second), `api.log` (the server's JSON lines; follow a request with `lab trace ID --logs .` from this folder, both runs at once)\n")
	p("- `report.html`: both runs' charts on one page\n- `verdict.json`: the figures and verdicts\n")
	return nil
}

// WriteIndex writes dir/index.md: one table of every case run, its judged
// figures side by side and its verdict.
func WriteIndex(dir string, results []*lab.Result) error {
	f, err := os.Create(filepath.Join(dir, "index.md"))
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "# Bottleneck lab, %s\n\n", filepath.Base(dir))
	fmt.Fprintf(f, "| case | figure | broken | fixed | rule | |\n|---|---|---|---|---|---|\n")
	for _, res := range results {
		for i, fig := range figures(res.Verdict) {
			name := ""
			if i == 0 {
				name = fmt.Sprintf("[%s](%s/report.md)", res.Case.Name, res.Case.Name)
			}
			fmt.Fprintf(f, "| %s | %s | %s | %s | %s | %s |\n", name, fig.Name, fig.Broken, fig.Fixed, fig.Rules, mark(fig.Pass))
		}
	}
	fmt.Fprintf(f, "\n")
	for _, res := range results {
		fmt.Fprintf(f, "- %s: %s\n", res.Case.Name, verdictLine(res))
	}
	fmt.Fprintf(f, "\nThe %s.\n", ControlExplained)
	return f.Close()
}
