package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// practicalSummary is a small run shaped like the practical's: passing
// studier checks, failing planner checks, 404s on /todos/undefined.
func practicalSummary() *metrics.Summary {
	start := time.Date(2026, 4, 26, 10, 0, 0, 0, time.UTC)
	rec := metrics.NewRecorder(2, start)
	for i := range 30 {
		sh := rec.Shard(i)
		sh.Request(&metrics.Result{Name: "GET /api/v1/todos", Method: "GET", URL: "http://127.0.0.1:6400/api/v1/todos",
			Status: 200, Duration: time.Duration(i+1) * time.Millisecond, RequestID: "req-get", Start: start})
		sh.Check("is status 200", true)
		sh.Request(&metrics.Result{Name: "DELETE /api/v1/todos/{id}", Method: "DELETE", URL: "http://127.0.0.1:6400/api/v1/todos/undefined",
			Status: 404, Kind: "status 404", Message: `404 Not Found: todo "undefined" not found`, Duration: 2 * time.Millisecond, RequestID: "req-del-" + string(rune('a'+i%26)), Start: start})
		sh.CheckSeen("is status 200", false, "DELETE /api/v1/todos/{id}", "404")
		sh.Iteration(20*time.Second, false)
		if i%10 == 0 {
			rec.Tick(start.Add(time.Duration(i/10+1)*time.Second), int64(i))
		}
	}
	sh := rec.Shard(0)
	sh.Finding("todos left behind", 30)
	rec.Tick(start.Add(4*time.Second), 0)
	s := rec.Summary(start.Add(4 * time.Second))
	s.Plan = "planners-and-studiers"
	s.VUsMax = 20
	s.Scenarios = []metrics.ScenarioInfo{{Name: "planner", Executor: "shared-iterations", Description: "30 iterations shared among 20 VUs", MaxVUs: 20}}
	th, _ := metrics.ParseThresholds([]string{"checks>0.99", "http_req_duration{p95}<500ms"})
	s.Thresholds, _ = metrics.EvaluateAll(s, th)
	return s
}

func TestTextHasK6Shape(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, practicalSummary()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"running (00m04.0s), 0000/0020 VUs, 30 complete and 0 interrupted iterations",
		"* planner: 30 iterations shared among 20 VUs",
		"✗ is status 200\n      ↳  50% — ✓ 30 / ✗ 30 (DELETE /api/v1/todos/{id} got 404 ×30)\n",
		"checks...",
		"50.00% ✓ 30",
		"http_req_duration...",
		"{ name:DELETE /api/v1/todos/{id} }",
		"p(95)=",
		"http_req_failed...",
		"{ status 404 }",
		"http_reqs...",
		"iterations...",
		"vus_max...",
		"✗ checks>0.99 (observed 50.00%)",
		"✓ http_req_duration{p95}<500ms",
		`30  DELETE /api/v1/todos/{id}: 404 Not Found: todo "undefined" not found`,
		"e.g. http://127.0.0.1:6400/api/v1/todos/undefined request_id=req-del-",
		"request_id=req-get",
		"todos left behind: 30",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q; got:\n%s", want, out)
		}
	}
	// A latency threshold prints its unit.
	if !regexp.MustCompile(`✓ http_req_duration\{p95\}<500ms \(observed \d+\.\d\dms\)`).MatchString(out) {
		t.Errorf("the latency threshold's observed value has no unit; got:\n%s", out)
	}
}

// savedRun returns the run a saved page inlines, and the page with it
// taken out.
func savedRun(t *testing.T, page string) (dashboardRunOut, string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^const RUN = (.*);$`).FindStringSubmatchIndex(page)
	if m == nil {
		t.Fatal("the page inlines no run (const RUN = ...;)")
	}
	data := page[m[2]:m[3]]
	var run dashboardRunOut
	if err := json.Unmarshal([]byte(data), &run); err != nil {
		t.Fatalf("the inlined run: %v", err)
	}
	return run, page[:m[2]] + "null" + page[m[3]:]
}

type dashboardRunOut struct {
	Events []DashboardEvent `json:"events"`
	Final  DashboardFinal   `json:"final"`
}

// The report of a summary (loadtest report --html, loadtest merge --html)
// is the live dashboard's page, the same bytes but for the run inlined,
// with one event a point of the series and the summary's end.
func TestHTMLIsTheDashboardPage(t *testing.T) {
	s := practicalSummary()
	// A request name that tries to close the script element.
	s.Requests["GET /</script><script>alert(1)</script>"] = s.Requests["GET /api/v1/todos"]
	var b bytes.Buffer
	if err := HTML(&b, s); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	run, rest := savedRun(t, page)
	if rest != string(dashboardPage(nil)) {
		t.Error("the report is not the dashboard's page with a run inlined")
	}
	if !strings.Contains(page, uplotJS) {
		t.Error("the page does not inline uPlot")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).FindString(page); m != "" {
		t.Errorf("the page loads something from the network: %q", m)
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Error("a request name was not escaped")
	}
	if len(run.Events) != len(s.Series) || len(s.Series) == 0 {
		t.Fatalf("events: got %d, want one per point of the series (%d)", len(run.Events), len(s.Series))
	}
	var requests int64
	for i, ev := range run.Events {
		p := s.Series[i]
		requests += p.Requests
		if ev.RPS != p.Requests || ev.VUs != p.VUs || ev.Requests != requests || ev.Done != (i == len(s.Series)-1) {
			t.Errorf("event %d: got %+v, want the point %+v, %d requests so far", i, ev, p, requests)
		}
		if want := msOf(p.Duration.Percentile(95)); ev.P95 != want {
			t.Errorf("event %d: p95 %v ms, want %v", i, ev.P95, want)
		}
	}
	last := run.Events[len(run.Events)-1]
	if last.Requests != 60 || len(last.Thresholds) != 2 || last.Checks["is status 200"].Fail != 30 {
		t.Errorf("last event: got %+v, want the run's totals, checks and thresholds", last)
	}
	f := run.Final
	if f.Plan != "planners-and-studiers" || len(f.Names) != 3 || len(f.Thresholds) != 2 {
		t.Errorf("final: got %+v, want the plan, its 3 names (one trying to close the script) and 2 thresholds", f)
	}
	if c := f.Checks["is status 200"]; c.Pass != 30 || c.Fail != 30 || c.Seen != "DELETE /api/v1/todos/{id} got 404 ×30" {
		t.Errorf("final check: got %+v, want 30 passed, 30 failed, what they saw", c)
	}
	if th := f.Thresholds[0]; th.Expr != "checks>0.99" || th.OK || th.Text != "50.00%" {
		t.Errorf("final threshold: got %+v, want checks>0.99 crossed at 50.00%%", th)
	}
	if !strings.Contains(f.Summary, "todos left behind: 30") {
		t.Errorf("final: lacks the text summary:\n%s", f.Summary)
	}
}

// The data the report inlines, byte for byte (go test -update rewrites
// testdata/practical.dashboard.json; review the diff before committing).
func TestHTMLDataGolden(t *testing.T) {
	var b bytes.Buffer
	if err := HTML(&b, practicalSummary()); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^const RUN = (.*);$`).FindStringSubmatch(b.String())
	if m == nil {
		t.Fatal("the page inlines no run")
	}
	var got bytes.Buffer
	if err := json.Indent(&got, []byte(m[1]), "", "  "); err != nil {
		t.Fatal(err)
	}
	got.WriteByte('\n')
	golden(t, "practical.dashboard.json", got.Bytes())
}

func TestProgressLine(t *testing.T) {
	p := metrics.Progress{
		Elapsed: 72 * time.Second, VUs: 42, VUsMax: 2520, Complete: 123, Interrupted: 4, Failed: 7,
		Last:      metrics.Point{Requests: 35, Duration: metrics.NewHistogram()},
		Scenarios: []metrics.ScenarioProgress{{Name: "planner", Fraction: 0.45, VUs: 20, Detail: "20 VUs 01m12.0s/10m0s 180/400 shared iters"}},
	}
	cases := []struct {
		name     string
		terminal bool
		want     []string
		wantNot  []string
	}{
		// In a log: one plain line per second.
		{"log", false, []string{"running (01m12.0s), 0042/2520 VUs, 123 complete and 4 interrupted iterations, 35 req/s", "7 errors"}, []string{"\x1b[", "planner [", "saturated"}},
		// On a terminal: redrawn in place with a bar per scenario.
		{"terminal", true, []string{"\x1b[K", "planner [=============>", " 45% 20 VUs 01m12.0s/10m0s 180/400 shared iters"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			tick := Progress(&b, tc.terminal)
			tick(p)
			tick(p)
			out := b.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("progress lacks %q; got %q", w, out)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("progress has %q; got %q", w, out)
				}
			}
		})
	}
}

// Once the run is stopping, the progress says what it waits for and counts
// down, instead of progress lines.
func TestProgressWhileStopping(t *testing.T) {
	tick := func(left time.Duration) metrics.Progress {
		return metrics.Progress{Elapsed: time.Minute, VUs: 3, Stopping: true, StopLeft: left,
			Last: metrics.Point{Duration: metrics.NewHistogram()}}
	}
	for _, terminal := range []bool{false, true} {
		var b bytes.Buffer
		p := Progress(&b, terminal)
		p(tick(30 * time.Second))
		p(tick(29*time.Second + 400*time.Millisecond))
		p(tick(28 * time.Second))
		want := "stopping: waiting up to 30s for 3 running iterations (Ctrl-C again to quit now)\n" +
			"stopping: 29s left for 3 running iterations (Ctrl-C again to quit now)\n" +
			"stopping: 28s left for 3 running iterations (Ctrl-C again to quit now)\n"
		if b.String() != want {
			t.Errorf("terminal=%v: got %q, want %q", terminal, b.String(), want)
		}
	}
	var b bytes.Buffer
	q := Stopping(&b)
	q(metrics.Progress{Elapsed: time.Second, VUs: 1, Last: metrics.Point{Duration: metrics.NewHistogram()}})
	q(metrics.Progress{VUs: 1, Stopping: true, StopLeft: 600 * time.Millisecond})
	if want := "stopping: waiting up to 600ms for 1 running iteration (Ctrl-C again to quit now)\n"; b.String() != want {
		t.Errorf("quiet: got %q, want %q", b.String(), want)
	}
}

func TestSaturatedGeneratorIsSaid(t *testing.T) {
	s := practicalSummary()
	var plain bytes.Buffer
	if err := Text(&plain, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "saturated") {
		t.Errorf("a generator that kept up is called saturated:\n%s", plain.String())
	}
	s.Generator = metrics.Generator{Cores: 1, CPU: 0.97, Saturated: true, Reasons: []string{"its CPU reached 97% of the 1 core(s) it may use over 2s"}}
	var text, page bytes.Buffer
	if err := Text(&text, s); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&page, s); err != nil {
		t.Fatal(err)
	}
	want := "the load generator was saturated: its CPU reached 97% of the 1 core(s) it may use over 2s."
	if !strings.Contains(text.String(), want) || !strings.Contains(text.String(), "These figures understate the server") {
		t.Errorf("text lacks %q and the consequence:\n%s", want, text.String())
	}
	var line bytes.Buffer
	Progress(&line, false)(metrics.Progress{Last: metrics.Point{Duration: metrics.NewHistogram()}, Generator: s.Generator})
	if !strings.Contains(line.String(), "⚠ generator saturated") {
		t.Errorf("progress line does not say the generator is saturated: %q", line.String())
	}
	run, _ := savedRun(t, page.String())
	if !run.Final.Saturated || !slices.Equal(run.Final.Reasons, s.Generator.Reasons) || !run.Events[len(run.Events)-1].Saturated {
		t.Errorf("HTML report does not say the generator was saturated: %+v", run.Final)
	}
}
