package lab

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// A broken run kept in Runner.BrokenRuns is made once and then reused:
// a verification against the kept run judges exactly as against the run
// itself.
func TestBrokenRunKept(t *testing.T) {
	c, _ := Lookup("pg-max-connections")
	broken := c.Quick(c.Broken)
	made := figures{setup: broken, requests: 1000, failed: 100, failures: map[string]int64{"status 503": 100},
		latency: 20 * time.Millisecond, peaks: map[string]float64{"pgxpool_max_conns": 30, sample.SeriesPGConnections: 19},
		logLines: repeat(`{"level":"error","message":"failed to connect: too many clients already"}`, 40)}.run("broken")
	made.Start, made.LoadAt, made.Pids, made.CPU = time.Now().Round(0), 2*time.Second, []int{10, 11, 12}, "all CPUs"
	mine := figures{setup: c.StudentSetup(c.Exercise.Solution), requests: 2000, latency: 10 * time.Millisecond,
		peaks: map[string]float64{"pgxpool_max_conns": 15}}.run("yours")
	mine.Summary.Runs, mine.Summary.VUsMax = 3, 36
	mine.Summary.Scenarios = []metrics.ScenarioInfo{{Name: "throughput", MaxVUs: 12}}

	var progress strings.Builder
	r := &Runner{Quick: true, BrokenRuns: filepath.Join(t.TempDir(), "broken-runs"), Progress: &progress}
	runs := 0
	run := func() (*PlanRun, error) { runs++; return &PlanRun{SetupRun: made}, nil }
	first, err := r.brokenRun(c.Name, "broken", broken, run)
	if err != nil || first.SetupRun != made {
		t.Fatalf("first verification: %v, want the run made", err)
	}
	path := filepath.Join(r.BrokenRuns, "pg-max-connections.quick.json")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the run was not kept: %v", err)
	}
	second, err := r.brokenRun(c.Name, "broken", broken, run)
	if err != nil {
		t.Fatal(err)
	}
	if runs != 1 {
		t.Errorf("the broken run was made %d times, want once", runs)
	}
	if !strings.Contains(progress.String(), "reusing the run kept in "+path) {
		t.Errorf("the progress does not say the run was reused:\n%s", progress.String())
	}

	want, got := JudgeStudent(c, c.Exercise.Solution, made, mine), JudgeStudent(c, c.Exercise.Solution, second.SetupRun, mine)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("judged against the kept run:\n%+v\nwant, as against the run made:\n%+v", got.Checks, want.Checks)
	}
	if !got.OK() {
		t.Errorf("the reference solution's figures failed: %+v", got.Checks)
	}
	k := second.SetupRun
	if !reflect.DeepEqual(k.Samples, made.Samples) || !reflect.DeepEqual(k.Logs, made.Logs) || !reflect.DeepEqual(k.Pids, made.Pids) ||
		!k.Start.Equal(made.Start) || k.LoadAt != made.LoadAt || k.Elapsed != made.Elapsed || k.CPU != made.CPU || k.Label != made.Label {
		t.Errorf("the kept run differs from the run made:\n%+v\nwant\n%+v", k, made)
	}
	if a, b := mustJSON(t, k.Summary), mustJSON(t, made.Summary); a != b {
		t.Errorf("the kept summary differs:\n%s\nwant\n%s", a, b)
	}
	if !reflect.DeepEqual(k.Setup, broken) {
		t.Errorf("the kept run's setup is %+v, want the case's broken setup", k.Setup)
	}

	// The full sizes are another run, kept beside the quick one.
	r.Quick = false
	if _, err := r.brokenRun(c.Name, "broken", c.Broken, run); err != nil || runs != 2 {
		t.Errorf("the full sizes: %v, %d runs made, want a second run", err, runs)
	}
	if _, err := os.Stat(filepath.Join(r.BrokenRuns, "pg-max-connections.json")); err != nil {
		t.Errorf("the full-size run was not kept: %v", err)
	}

	// Without a directory every verification makes its own run.
	r = &Runner{Quick: true}
	for range 2 {
		if _, err := r.brokenRun(c.Name, "broken", broken, run); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 4 {
		t.Errorf("without BrokenRuns: %d runs made, want 4", runs)
	}
}

// A plan's run keeps its exit code, output and the connection check's
// report; a calibrated setup comes back sized from the capacity it measured.
func TestBrokenRunKeptPlanAndCalibration(t *testing.T) {
	s := Setup{Workload: PlanWorkload{Name: "planners-and-studiers", TimeScale: 0.05, VUsScale: 0.15},
		Calibrate: &Calibration{Path: "/api/v1/todos", VUs: 4, Duration: 5 * time.Second, Size: sizePlanners}}
	made := &PlanRun{SetupRun: &SetupRun{Label: "handout", Setup: s, Capacity: 40,
		Conn: &conncheck.Report{Connections: 100, Errors: map[conncheck.Cause]int{"refused": 3}}},
		Exit: 99, Output: "thresholds crossed\n", PlanCPU: "a quarter of CPU 0"}
	r := &Runner{BrokenRuns: t.TempDir()}
	run := func() (*PlanRun, error) { return made, nil }
	if _, err := r.brokenRun("planners-and-studiers", "handout", s, run); err != nil {
		t.Fatal(err)
	}
	got, err := r.brokenRun("planners-and-studiers", "handout", s, func() (*PlanRun, error) {
		t.Fatal("made the run again")
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Exit != 99 || got.Output != made.Output || got.PlanCPU != made.PlanCPU || got.Capacity != 40 ||
		!reflect.DeepEqual(got.Conn, made.Conn) {
		t.Errorf("kept plan run %+v %+v, want %+v %+v", got, got.SetupRun, made, made.SetupRun)
	}
	if w := got.Setup.Workload.(PlanWorkload); w != sizePlanners(s.Workload, 40).(PlanWorkload) {
		t.Errorf("kept calibrated workload %+v, want it sized from the capacity of 40/s", w)
	}
	if sized := sizedAs(s, got.SetupRun); sized.Calibrate != nil || sized.Workload != got.Setup.Workload {
		t.Errorf("a student's run sized from the kept run: %+v, want the kept run's load", sized)
	}
}

// A kept run is refused, with the file and the reason, unless it is a run
// of the same case at the same sizes and setup, made on this machine.
func TestBrokenRunKeptRefused(t *testing.T) {
	c, _ := Lookup("pg-max-connections")
	broken := c.Quick(c.Broken)
	made := figures{setup: broken, requests: 10}.run("broken")
	host, _ := os.Hostname()
	for _, tt := range []struct {
		name   string
		edit   func(k map[string]any)
		reason string
	}{
		{"another machine", func(k map[string]any) { k["host"] = "laptop-of-someone-else" }, "made on laptop-of-someone-else, this is " + host},
		{"another setup", func(k map[string]any) { k["setup"] = "DB_MAX_CONNS=20" }, "the broken run of another setup (DB_MAX_CONNS=20)"},
		{"another case", func(k map[string]any) { k["case"] = "db-saturation" }, "a run of db-saturation, not of pg-max-connections"},
		{"the full sizes", func(k map[string]any) { k["quick"] = false }, "a run at the full sizes, this verification is at the quick sizes"},
		{"another format", func(k map[string]any) { k["format"] = "taskoverflow-lab broken run 0" }, `format "taskoverflow-lab broken run 0"`},
		{"no run", func(k map[string]any) { delete(k, "run") }, "no run in it"},
		{"a field this lab does not know", func(k map[string]any) { k["samples_v2"] = []int{1} }, `unknown field "samples_v2"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &Runner{Quick: true, BrokenRuns: t.TempDir()}
			if _, err := r.brokenRun(c.Name, "broken", broken, func() (*PlanRun, error) { return &PlanRun{SetupRun: made}, nil }); err != nil {
				t.Fatal(err)
			}
			path := keptRunPath(r.BrokenRuns, c.Name, true)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var k map[string]any
			if err := json.Unmarshal(b, &k); err != nil {
				t.Fatal(err)
			}
			tt.edit(k)
			if err := os.WriteFile(path, []byte(mustJSON(t, k)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = r.brokenRun(c.Name, "broken", broken, func() (*PlanRun, error) {
				t.Error("made the run instead of refusing the kept one")
				return &PlanRun{SetupRun: made}, nil
			})
			var refused *KeptRunError
			if !errors.As(err, &refused) || refused.Path != path || !strings.Contains(err.Error(), tt.reason) ||
				!strings.Contains(err.Error(), "delete it to make the broken run again") {
				t.Errorf("got %v, want a refusal of %s naming %q", err, path, tt.reason)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		r := &Runner{Quick: true, BrokenRuns: t.TempDir()}
		path := keptRunPath(r.BrokenRuns, c.Name, true)
		if err := os.WriteFile(path, []byte("DB_MAX_CONNS=10\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := r.brokenRun(c.Name, "broken", broken, func() (*PlanRun, error) { return nil, errors.New("made") })
		if _, ok := errors.AsType[*KeptRunError](err); !ok || !strings.Contains(err.Error(), "not a broken run lab verify kept") {
			t.Errorf("got %v, want a refusal", err)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A kept run that failed a figure of its own (it did not show the
// incident) is removed, so that the next verification makes it again; a
// verification that failed only on the student's run keeps it.
func TestForgetKeptRun(t *testing.T) {
	c, _ := Lookup("pg-max-connections")
	broken := c.Quick(c.Broken)
	incident := figures{setup: broken, requests: 1000, failed: 100, failures: map[string]int64{"status 503": 100},
		peaks:    map[string]float64{"pgxpool_max_conns": 30},
		logLines: repeat(`{"level":"error","message":"too many clients already"}`, 10)}
	quiet := incident
	quiet.failed, quiet.failures, quiet.logLines = 0, nil, nil
	bad := figures{setup: c.StudentSetup(c.Exercise.Solution), requests: 10, peaks: map[string]float64{"pgxpool_max_conns": 15}}
	for _, tt := range []struct {
		name         string
		broken, mine figures
		kept         bool
	}{
		{"the student's run failed", incident, bad, true},
		{"the broken run showed no incident", quiet, bad, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var progress strings.Builder
			r := &Runner{Quick: true, BrokenRuns: t.TempDir(), Progress: &progress}
			b, err := r.brokenRun(c.Name, "broken", broken, func() (*PlanRun, error) { return &PlanRun{SetupRun: tt.broken.run("broken")}, nil })
			if err != nil {
				t.Fatal(err)
			}
			v := JudgeStudent(c, c.Exercise.Solution, b.SetupRun, tt.mine.run("yours"))
			if v.OK() {
				t.Fatalf("the figures passed: %+v", v.Checks)
			}
			r.forgetKeptRun(c.Name, "broken", v)
			if r.hasKeptRun(c.Name) != tt.kept {
				t.Errorf("kept %v, want %v\n%s", r.hasKeptRun(c.Name), tt.kept, progress.String())
			}
			if !tt.kept && !strings.Contains(progress.String(), `failed "\"too many clients\" log lines", so the run is no longer kept`) {
				t.Errorf("the progress does not say why the run went:\n%s", progress.String())
			}
		})
	}
}

// Only a figure of the broken run alone marks its run as not showing the
// incident: a symptom judged as a ratio to the student's run does not.
func TestIncidentChecks(t *testing.T) {
	c, _ := Lookup("db-saturation")
	f := figures{setup: c.Quick(c.Broken), requests: 100, latency: time.Second}
	v := JudgeStudent(c, c.Exercise.Solution, f.run("broken"), f.run("yours"))
	ratios := 0
	for _, ch := range v.Checks {
		ratio := strings.Contains(ch.Rule, "(yours ")
		if want := ch.Run == "broken" && !ratio; ch.incident != want {
			t.Errorf("%s: incident %v, want %v", FormatCheck(ch), ch.incident, want)
		}
		if ratio {
			ratios++
		}
	}
	if ratios == 0 {
		t.Errorf("db-saturation has no ratio symptom to tell apart: %+v", v.Checks)
	}
}
