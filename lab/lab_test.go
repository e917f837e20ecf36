//go:build e2e

// The real cases end to end: machine-dependent figures, judged without the
// race detector in their own CI step (make test-e2e), never skipped.
package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/lab"
	"github.com/taskoverflow-lab/taskoverflow/lab/report"
	"github.com/taskoverflow-lab/taskoverflow/lab/trace"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// TestLabQuick runs the quick cases end to end, as CI does: real Postgres,
// Redis and API processes, the bundled load or the connection check. Each
// must reproduce its incident and clear it, and its fixed run judged as the
// broken one must not pass.
func TestLabQuick(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cases, err := lab.Select(lab.QuickCaseNames())
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	r := &lab.Runner{Dir: t.TempDir(), Quick: true, Progress: &progress}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			res, err := r.RunCase(ctx, c)
			if err != nil {
				t.Fatalf("%v\n%s", err, progress.String())
			}
			if err := report.WriteFiles(res); err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			report.WriteText(&text, res)
			t.Log(text.String())
			if !res.Verdict.Reproduced || !res.Verdict.Cleared {
				t.Errorf("got reproduced %v, cleared %v; want both\n%s", res.Verdict.Reproduced, res.Verdict.Cleared, text.String())
			}
			if res.Control.Reproduced {
				t.Errorf("the fixed run judged as broken reproduces the incident: the case cannot tell a fix from a bug\n%s", text.String())
			}
			for _, f := range []string{"report.md", "report.html", "verdict.json", "broken/samples.jsonl", "fixed/samples.jsonl"} {
				if st, err := os.Stat(filepath.Join(res.Dir, f)); err != nil || st.Size() == 0 {
					t.Errorf("%s: %v, want a file", f, err)
				}
			}
			if len(res.Broken.Samples) < 3 {
				t.Errorf("broken run: got %d samples, want one a second", len(res.Broken.Samples))
			}
			if c.Name == "redis-pool-unbounded" {
				traceSlowest(t, res)
			}
		})
	}
}

// traceSlowest follows the slowest login or todo listing of the broken run
// through the API's log: both use Postgres and Redis, so the trace must
// hold the request's two HTTP lines, a SQL statement and a Redis command.
func traceSlowest(t *testing.T, res *lab.Result) {
	t.Helper()
	var id string
	for _, s := range res.Broken.Summary.Slowest {
		if (strings.HasSuffix(s.URL, "/api/v1/todos") || strings.HasSuffix(s.URL, "/api/v1/login")) && s.Status == 200 {
			id = s.RequestID
			break
		}
	}
	logPath := filepath.Join(res.Dir, "broken", "api.log")
	if id == "" {
		// The load report keeps the slowest requests of all kinds, which a
		// burst of registrations (bcrypt) can fill: take the slowest login
		// or listing from the server's own finishing lines instead.
		id = slowestInLog(t, logPath, "/api/v1/todos", "/api/v1/login")
	}
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := trace.Read(f, "", id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, l := range lines {
		kinds[l.Layer()]++
	}
	if kinds["http"] != 2 || kinds["redis"] < 1 || kinds["sql"] < 1 {
		var b bytes.Buffer
		trace.Write(&b, id, lines)
		t.Errorf("trace of %s: got %v lines by layer, want 2 http and at least a redis command and a SQL statement\n%s", id, kinds, b.String())
	}
}

// slowestInLog returns the request id of the slowest 200 among the API's
// "request finished" lines on the given routes.
func slowestInLog(t *testing.T, path string, routes ...string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	var slowest float64
	for _, line := range bytes.Split(b, []byte("\n")) {
		var rec struct {
			Msg        string  `json:"msg"`
			Route      string  `json:"route"`
			Status     int     `json:"status"`
			DurationMS float64 `json:"duration_ms"`
			RequestID  string  `json:"request_id"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.Msg != "request finished" || rec.Status != 200 {
			continue
		}
		for _, r := range routes {
			if rec.Route == r && rec.DurationMS >= slowest {
				id, slowest = rec.RequestID, rec.DurationMS
			}
		}
	}
	if id == "" {
		t.Fatalf("no 200 on %v in %s", routes, path)
	}
	return id
}

// TestLabCalibration runs a case whose broken run sizes its load from a
// calibration against the real API: the capacity is measured, the load is
// sized from it, the fixed run takes the broken run's size, and the report
// keeps the figure.
func TestLabCalibration(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var sizedFrom []float64
	size := func(w lab.Workload, capacity float64) lab.Workload {
		sizedFrom = append(sizedFrom, capacity)
		p := w.(lab.PlanWorkload)
		p.Params.VUs = 3
		return p
	}
	load := lab.PlanWorkload{Name: "throughput", Params: scenarios.Params{VUs: 1, Duration: 2 * time.Second, Path: "/api/v1/health"}}
	c := lab.Case{
		Name:   "calibrated",
		Broken: lab.Setup{Workload: load, Calibrate: &lab.Calibration{Path: "/api/v1/health", VUs: 2, Duration: time.Second, Size: size}},
		Fixed:  lab.Setup{Workload: load},
		Judge:  func(b, f *lab.SetupRun) []lab.Rule { return nil },
	}
	var progress bytes.Buffer
	res, err := (&lab.Runner{Progress: &progress}).RunCase(ctx, c)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if res.Broken.Capacity <= 0 || res.Fixed.Capacity != 0 {
		t.Errorf("capacity: broken %v, fixed %v; want the broken run's measured, the fixed run's none", res.Broken.Capacity, res.Fixed.Capacity)
	}
	if len(sizedFrom) != 2 || sizedFrom[0] != res.Broken.Capacity || sizedFrom[1] != res.Broken.Capacity {
		t.Errorf("sized from %v, want the broken run's capacity %v twice (broken, then fixed)", sizedFrom, res.Broken.Capacity)
	}
	for _, r := range []*lab.SetupRun{res.Broken, res.Fixed} {
		if got := r.Summary.VUsMax; got != 3 {
			t.Errorf("%s run: %d VUs, want the 3 the calibration sized", r.Label, got)
		}
	}
	if !strings.Contains(progress.String(), "capacity ") {
		t.Errorf("the progress does not print the capacity:\n%s", progress.String())
	}
	var text bytes.Buffer
	report.WriteText(&text, res)
	if !strings.Contains(text.String(), "API capacity, calibrated") || !strings.Contains(text.String(), "load sized as the broken run's") {
		t.Errorf("the report lacks the calibration row:\n%s", text.String())
	}
}

// TestFixedAsBrokenFails runs a case whose broken setup is its fixed one:
// the verdict must fail, since there is no incident to reproduce.
func TestFixedAsBrokenFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, _ := lab.Lookup("max-connections")
	c.Broken = c.Fixed
	var progress bytes.Buffer
	res, err := (&lab.Runner{Quick: true, Progress: &progress}).RunCase(ctx, c)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if res.Verdict.Passed() || res.Verdict.Reproduced {
		var text bytes.Buffer
		report.WriteText(&text, res)
		t.Errorf("fixed settings as broken: got reproduced %v, want the verdict to fail\n%s", res.Verdict.Reproduced, text.String())
	}
	if res.OK() {
		t.Error("got OK, want the case to fail")
	}
}
