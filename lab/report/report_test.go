package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	loadreport "github.com/taskoverflow-lab/taskoverflow/loadtests/report"

	"github.com/taskoverflow-lab/taskoverflow/lab"
	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// run builds a run of requests that each took latency, with samples: the
// values of successive samples, and counters' first and last values.
func run(label string, requests int, latency time.Duration, perSample map[string][]float64, counters map[string][2]float64) *lab.SetupRun {
	r := &lab.SetupRun{Label: label, Elapsed: 10 * time.Second}
	first := sample.Sample{T: 0, Values: map[string]float64{}}
	last := sample.Sample{T: r.Elapsed, Values: map[string]float64{}}
	for k, v := range counters {
		first.Values[k], last.Values[k] = v[0], v[1]
	}
	r.Samples = append(r.Samples, first)
	for k, vs := range perSample {
		for i, v := range vs {
			r.Samples = append(r.Samples, sample.Sample{T: time.Duration(i+1) * time.Second, Values: map[string]float64{k: v}})
		}
	}
	r.Samples = append(r.Samples, last)
	h := metrics.NewHistogram()
	for range requests {
		h.Record(latency)
	}
	r.Summary = &metrics.Summary{Requests: map[string]*metrics.RequestStats{"GET /api/v1/todos": {Count: int64(requests), Duration: h}}}
	return r
}

// fakeResult is a judged db-saturation result built from figures.
func fakeResult(t *testing.T) *lab.Result {
	t.Helper()
	c, _ := lab.Lookup("db-saturation")
	broken := run("broken", 100, 2*time.Second,
		map[string][]float64{sample.SeriesHealthFailed: {1, 1, 0}, sample.SeriesHealthMS: {1000, 1000, 700}, "pgxpool_acquired_conns": {2, 2, 2}, sample.SeriesCPUPercent: {90, 95, 80}},
		map[string][2]float64{"pgxpool_acquire_count_total": {0, 100}, "pgxpool_empty_acquire_wait_seconds_total": {0, 150}})
	fixed := run("fixed", 3000, 50*time.Millisecond,
		map[string][]float64{sample.SeriesHealthFailed: {0, 0, 0}, sample.SeriesHealthMS: {2, 3, 2}, "pgxpool_acquired_conns": {5, 6, 4}, sample.SeriesCPUPercent: {60, 70, 65}},
		map[string][2]float64{"pgxpool_acquire_count_total": {0, 3000}, "pgxpool_empty_acquire_wait_seconds_total": {0, 3}})
	broken.Setup, fixed.Setup = c.Broken, c.Fixed
	broken.CPU, fixed.CPU = "all CPUs", "all CPUs"
	res := &lab.Result{Case: c, Broken: broken, Fixed: fixed, Dir: t.TempDir()}
	res.Verdict = lab.Judge(c, broken, fixed)
	res.Control = lab.Judge(c, fixed, fixed)
	return res
}

func TestHTMLDrawsBothRuns(t *testing.T) {
	res := fakeResult(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, res); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	// Self-contained: the script is inline, nothing is fetched.
	for _, bad := range []string{"src=", "href=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q; want nothing loaded from elsewhere", bad)
		}
	}
	// The load report's renderer draws it.
	if !strings.Contains(page, string(loadreport.ChartScript())) {
		t.Error("page does not hold the load report's chart script")
	}
	// The pool chart holds one line per run, each in its colour, each with
	// the run's samples on its own seconds.
	m := regexp.MustCompile(`<h3>Pool connections in use</h3><canvas data-chart="(c\d+)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no pool chart in\n%s", page)
	}
	data := regexp.MustCompile(`const CHARTS = (.*);\n`).FindStringSubmatch(page)
	if data == nil {
		t.Fatal("no chart data")
	}
	var charts map[string][][]any
	if err := json.Unmarshal([]byte(data[1]), &charts); err != nil {
		t.Fatal(err)
	}
	lines := charts[m[1]]
	if len(lines) != 2 || lines[0][0] != "broken" || lines[0][1] != brokenColour || lines[1][0] != "fixed" || lines[1][1] != fixedColour {
		t.Fatalf("pool chart lines: got %v, want broken and fixed in their colours", lines)
	}
	if got := fmt.Sprint(lines[0][2]); got != "[2 2 2]" {
		t.Errorf("broken pool line: got %s, want the three samples [2 2 2]", got)
	}
	if got := fmt.Sprint(lines[1][2], lines[1][3]); got != "[5 6 4] [1 2 3]" {
		t.Errorf("fixed pool line: got %s, want [5 6 4] at [1 2 3] s", got)
	}
	if !strings.Contains(page, "REPRODUCED and CLEARED") {
		t.Error("page does not state the verdict")
	}
}

func TestWriteResultsFiles(t *testing.T) {
	res := fakeResult(t)
	if err := WriteFiles(res); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"verdict.json", "report.md", "report.html"} {
		if st, err := os.Stat(filepath.Join(res.Dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v, want a file", name, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(res.Dir, "report.md"))
	if !strings.Contains(string(md), "| health checks failed | 2 | 0 | broken ≥ 2, fixed ≤ 0 | ok |") {
		t.Errorf("report.md lacks the health check figures, once with both rules:\n%s", md)
	}
}

func TestTextMarksFailures(t *testing.T) {
	res := fakeResult(t)
	res.Verdict = res.Control // the fixed run as broken: not reproduced
	var b bytes.Buffer
	if err := WriteText(&b, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "NOT reproduced") || !strings.Contains(b.String(), "FAIL") {
		t.Errorf("got\n%s\nwant NOT reproduced and FAIL marks", b.String())
	}
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the report writes now (go test -update rewrites it, then review the diff):\ngot:\n%s", path, got)
	}
}

// The reports a student reads, byte for byte: the text the command prints,
// report.md and report.html of one judged case.
func TestGoldenReports(t *testing.T) {
	res := fakeResult(t)
	res.Broken.Start = time.Date(2026, 11, 22, 9, 44, 4, 0, time.UTC)
	res.Fixed.Start = res.Broken.Start.Add(40 * time.Second)
	for _, tt := range []struct {
		name  string
		write func(io.Writer, *lab.Result) error
	}{
		{"db-saturation.txt", WriteText},
		{"db-saturation.md", WriteMarkdown},
		{"db-saturation.html", WriteHTML},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, res); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// A figure judged by a symptom rule and a fix rule prints once, with both;
// the measured rows leave out what a rule already shows; the control is
// explained.
func TestTextPrintsEachFigureOnce(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, fakeResult(t)); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	if n := strings.Count(text, "health checks failed"); n != 1 {
		t.Errorf("health checks failed printed %d times, want once:\n%s", n, text)
	}
	if !strings.Contains(text, "broken ≥ 2, fixed ≤ 0") || !strings.Contains(text, ControlExplained) {
		t.Errorf("want both rules on one row and the control explained:\n%s", text)
	}
}
