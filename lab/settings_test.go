package lab

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
		line int    // the line a *SettingsError names; 0: no error
		why  string // in the error
	}{
		{"comments, blanks, quotes and export", "# mine\n\nREDIS_MAX_ACTIVE=16\n  REDIS_MAX_IDLE = \"16\"\nexport REDIS_WAIT='true'\n",
			map[string]string{"REDIS_MAX_ACTIVE": "16", "REDIS_MAX_IDLE": "16", "REDIS_WAIT": "true"}, 0, ""},
		{"process keys", "GOMAXPROCS=1\nRLIMIT_NOFILE=4096\n", map[string]string{"GOMAXPROCS": "1", "RLIMIT_NOFILE": "4096"}, 0, ""},
		{"an empty value", "DB_SLOW_QUERY=\n", map[string]string{"DB_SLOW_QUERY": ""}, 0, ""},
		{"unknown key", "REDIS_MAX_ACTIVE=16\nREDIS_POOL=16\n", nil, 2, "unknown setting REDIS_POOL"},
		{"no equals sign", "# x\nREDIS_MAX_ACTIVE 16\n", nil, 2, "not KEY=value"},
		{"no key", "=16\n", nil, 1, "not KEY=value"},
		{"a key with a space", "REDIS MAX=16\n", nil, 1, "not KEY=value"},
		{"set twice", "DB_MAX_CONNS=5\nDB_MAX_CONNS=6\n", nil, 2, "set twice"},
		{"unbalanced quotes", "LOG_LEVEL=\"info\n", nil, 1, "unbalanced quotes"},
		{"a limit that is not a number", "RLIMIT_NOFILE=lots\n", nil, 1, "whole number"},
		{"a lower-case key", "log_level=info\n", nil, 1, "unknown setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSettings(strings.NewReader(tt.in))
			if tt.line == 0 {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if !maps.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
				return
			}
			var se *SettingsError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SettingsError", err)
			}
			if se.Line != tt.line || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("got line %d %q, want line %d naming %q", se.Line, err, tt.line, tt.why)
			}
		})
	}
}

// What lab init writes, ParseSettings reads back as the broken settings.
func TestSettingsRoundTrip(t *testing.T) {
	for _, c := range All() {
		if !c.Verifiable() {
			continue
		}
		for name, s := range map[string]map[string]string{"broken": c.BrokenSettings(), "solution": c.Exercise.Solution} {
			var b strings.Builder
			if err := WriteSettings(&b, c, s, "header\nsecond line"); err != nil {
				t.Fatal(err)
			}
			got, err := ParseSettings(strings.NewReader(b.String()))
			if err != nil {
				t.Fatalf("%s %s: %v\n%s", c.Name, name, err, b.String())
			}
			if !maps.Equal(got, s) {
				t.Errorf("%s %s: read back %v, want %v", c.Name, name, got, s)
			}
		}
	}
}

// Every case's exercise names keys that exist, and its solution changes
// only those; its broken settings change none.
func TestExercisesAreComplete(t *testing.T) {
	for _, c := range All() {
		if !c.Verifiable() {
			if c.Name != "planners-and-studiers" {
				t.Errorf("%s: no exercise keys", c.Name)
			}
			continue
		}
		for _, k := range c.Exercise.Keys {
			if !KnownKey(k) {
				t.Errorf("%s: exercise key %s is not a setting", c.Name, k)
			}
		}
		if got := c.ChangedKeys(c.Exercise.Solution); len(got) > 0 {
			t.Errorf("%s: the solution changes %v, outside the exercise", c.Name, got)
		}
		if got := c.ChangedKeys(c.BrokenSettings()); len(got) > 0 {
			t.Errorf("%s: the broken settings change %v", c.Name, got)
		}
		if maps.Equal(c.Exercise.Solution, c.BrokenSettings()) {
			t.Errorf("%s: the solution is the broken settings", c.Name)
		}
	}
}

func TestChangedKeys(t *testing.T) {
	c, _ := Lookup("redis-pool-unbounded")
	with := func(kv ...string) map[string]string {
		s := c.BrokenSettings()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(s, kv[i])
			} else {
				s[kv[i]] = kv[i+1]
			}
		}
		return s
	}
	tests := []struct {
		name     string
		settings map[string]string
		want     string
	}{
		{"the exercise's keys", with("REDIS_MAX_ACTIVE", "16", "REDIS_MAX_IDLE", "16"), ""},
		{"logging turned down", with("LOG_LEVEL", "info"), "LOG_LEVEL"},
		{"a huge MAX_INFLIGHT", with("MAX_INFLIGHT", "100000"), "MAX_INFLIGHT"},
		{"the pinned core left out", with("GOMAXPROCS", ""), "GOMAXPROCS"},
		{"two at once", with("LOG_FORMAT", "text", "BCRYPT_COST", "10"), "BCRYPT_COST,LOG_FORMAT"},
	}
	for _, tt := range tests {
		if got := strings.Join(c.ChangedKeys(tt.settings), ","); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// StudentSetup keeps the case's load and takes the fd limit from the settings.
func TestStudentSetup(t *testing.T) {
	c, _ := Lookup("max-connections")
	s := c.StudentSetup(map[string]string{KeyNoFile: "4096", "MAX_CONNS": "1024"})
	if s.NoFile != 4096 || s.API["MAX_CONNS"] != "1024" || s.API[KeyNoFile] != "" {
		t.Errorf("got NoFile %d, API %v; want 4096 and MAX_CONNS=1024 alone", s.NoFile, s.API)
	}
	if s.Workload != c.Broken.Workload {
		t.Errorf("got load %v, want the broken run's %v", s.Workload, c.Broken.Workload)
	}
	if s := c.StudentSetup(map[string]string{"MAX_CONNS": "1024"}); s.NoFile != c.Broken.NoFile {
		t.Errorf("without RLIMIT_NOFILE got NoFile %d, want the broken run's %d", s.NoFile, c.Broken.NoFile)
	}
}

// checkNamed returns the verification's check called name on run.
func checkNamed(t *testing.T, v *Verification, run, name string) Check {
	t.Helper()
	for _, ch := range v.Checks {
		if ch.Run == run && ch.Name == name {
			return ch
		}
	}
	t.Fatalf("no check %s %q in %+v", run, name, v.Checks)
	return Check{}
}

// The rules that stop gaming, on synthetic figures of the redis case: the
// broken run shows the storm; the student's run is a good fix except for
// what each case changes.
func TestJudgeStudentRefusesGaming(t *testing.T) {
	c, _ := Lookup("redis-pool-unbounded")
	broken := figures{requests: 10000, counters: map[string][2]float64{sample.SeriesRedisConnections: {1, 4001}},
		peaks: map[string]float64{sample.SeriesRedisClients: 60}, setup: c.Broken}
	good := func() figures {
		return figures{requests: 20000, counters: map[string][2]float64{sample.SeriesRedisConnections: {1, 16}},
			peaks: map[string]float64{sample.SeriesRedisClients: 17}, setup: c.StudentSetup(c.Exercise.Solution)}
	}
	brokenRun := func() *SetupRun {
		r := broken.run("broken")
		r.Summary.Scenarios = []metrics.ScenarioInfo{{Name: "users", MaxVUs: 400}}
		r.Summary.VUsMax = 400
		return r
	}
	mine := func(f figures, edit func(*metrics.Summary)) *SetupRun {
		r := f.run("yours")
		r.Summary.Scenarios = []metrics.ScenarioInfo{{Name: "users", MaxVUs: 400}}
		r.Summary.VUsMax = 400
		if edit != nil {
			edit(r.Summary)
		}
		return r
	}
	seriesOK := c.Judge(brokenRun(), mine(good(), nil))
	for _, r := range seriesOK {
		if !r.Pass {
			t.Fatalf("the synthetic figures do not pass the case's own rule %+v", r)
		}
	}

	v := JudgeStudent(c, c.Exercise.Solution, brokenRun(), mine(good(), nil))
	if !v.OK() || v.ClosingLine() != "9 passed, 0 failed" {
		t.Fatalf("the reference solution: got %s, want all passed\n%+v", v.ClosingLine(), v.Checks)
	}

	tests := []struct {
		name     string
		settings map[string]string
		figures  figures
		edit     func(*metrics.Summary)
		run      string // the check that must fail
		check    string
		hint     string // in its hint
	}{
		{"logging silenced", with(c.Exercise.Solution, "LOG_LEVEL", "error"), good(), nil,
			"yours", "settings outside the exercise changed", "put back LOG_LEVEL"},
		{"a huge MAX_INFLIGHT", with(c.Exercise.Solution, "MAX_INFLIGHT", "1000000"), good(), nil,
			"yours", "settings outside the exercise changed", "put back MAX_INFLIGHT"},
		{"fewer requests than the broken run", c.Exercise.Solution, func() figures { f := good(); f.requests = 9000; return f }(), nil,
			"yours", "requests sent, of the shipped broken run's", "not shrink it"},
		{"fewer VUs", c.Exercise.Solution, good(), func(s *metrics.Summary) { s.VUsMax = 200 },
			"yours", "VUs started, of the plan's", "did not all start"},
		{"dropped iterations", c.Exercise.Solution, good(), func(s *metrics.Summary) { s.Iterations.Dropped = 3 },
			"yours", "iterations dropped", "could not start every iteration"},
		{"a saturated generator", c.Exercise.Solution, good(), func(s *metrics.Summary) {
			s.Generator.Saturated, s.Generator.Reasons = true, []string{"CPU at 100%"}
		}, "yours", "load generator saturated", "CPU at 100%"},
		{"REDIS_MAX_IDLE raised alone", map[string]string{"REDIS_MAX_ACTIVE": "unlimited", "REDIS_MAX_IDLE": "16", "REDIS_WAIT": "false", "MAX_INFLIGHT": "1024", "GOMAXPROCS": "1"},
			func() figures {
				f := good()
				f.counters = map[string][2]float64{sample.SeriesRedisConnections: {1, 40}}
				f.setup = c.StudentSetup(map[string]string{"REDIS_MAX_ACTIVE": "unlimited", "REDIS_MAX_IDLE": "16"})
				return f
			}(), nil, "yours", "Redis connections received", "unlimited has no size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := JudgeStudent(c, tt.settings, brokenRun(), mine(tt.figures, tt.edit))
			ch := checkNamed(t, v, tt.run, tt.check)
			if ch.Pass || !strings.Contains(ch.Hint, tt.hint) {
				t.Errorf("got %s, want a failure hinting %q", FormatCheck(ch), tt.hint)
			}
			if v.OK() || v.Failed == 0 {
				t.Errorf("got %s, want it judged failed", v.ClosingLine())
			}
		})
	}
}

// with returns s with kv set over it.
func with(s map[string]string, kv ...string) map[string]string {
	out := maps.Clone(s)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// A connection check that did not open its connections is not the case's load.
func TestJudgeStudentConnectionsTried(t *testing.T) {
	c, _ := Lookup("max-connections")
	rep := func(total, notInitiated, served int) *conncheck.Report {
		return &conncheck.Report{Connections: 400, Final: conncheck.Stats{Total: total, NotInitiated: notInitiated, Served: served}}
	}
	b := figures{conn: rep(400, 0, 114), peaks: map[string]float64{sample.SeriesFDs: 128}, setup: c.Broken}
	for _, tt := range []struct {
		name string
		conn *conncheck.Report
		pass bool
	}{
		{"all tried", rep(400, 0, 400), true},
		{"half never dialled", rep(400, 200, 200), false},
	} {
		mine := figures{conn: tt.conn, setup: c.StudentSetup(c.Exercise.Solution)}
		v := JudgeStudent(c, c.Exercise.Solution, b.run("broken"), mine.run("yours"))
		if ch := checkNamed(t, v, "yours", "connections tried, of the check's"); ch.Pass != tt.pass {
			t.Errorf("%s: got %s, want pass %v", tt.name, FormatCheck(ch), tt.pass)
		}
	}
}

// A summary merged from three instances' runs plans three times the VUs its
// scenarios list once.
func TestJudgeStudentMergedVUs(t *testing.T) {
	c, _ := Lookup("pg-max-connections")
	for _, tt := range []struct {
		vus  int64
		pass bool
	}{{36, true}, {12, false}} {
		b := figures{requests: 1000, setup: c.Broken}.run("broken")
		mine := figures{requests: 1000, setup: c.StudentSetup(c.Exercise.Solution)}.run("yours")
		mine.Summary.Runs, mine.Summary.VUsMax = 3, tt.vus
		mine.Summary.Scenarios = []metrics.ScenarioInfo{{Name: "throughput", MaxVUs: 12}}
		v := JudgeStudent(c, c.Exercise.Solution, b, mine)
		if ch := checkNamed(t, v, "yours", "VUs started, of the plan's"); ch.Pass != tt.pass {
			t.Errorf("%d VUs of 3 × 12: got %s, want pass %v", tt.vus, FormatCheck(ch), tt.pass)
		}
	}
}

// The broken pg-max-connections run's users are refused at once and loop
// faster than a run that serves every request: its 503s are left out of
// the count a student's run must reach, and nothing else is.
func TestJudgeStudentRefusedRequests(t *testing.T) {
	c, _ := Lookup("pg-max-connections")
	b := figures{requests: 1000, failed: 150, failures: map[string]int64{"status 503": 100, "timeout": 50}, setup: c.Broken}.run("broken")
	for _, tt := range []struct {
		requests int64
		pass     bool
	}{{900, true}, {856, true}, {854, false}} { // 95% of 1000 - 100 = 855
		mine := figures{requests: tt.requests, setup: c.StudentSetup(c.Exercise.Solution)}.run("yours")
		v := JudgeStudent(c, c.Exercise.Solution, b, mine)
		ch := checkNamed(t, v, "yours", "requests sent, of the shipped broken run's")
		if ch.Pass != tt.pass || !strings.Contains(ch.Rule, "of 900 (the broken run's, less its status 503)") {
			t.Errorf("%d requests against 1000 with 100 refused: got %s, want pass %v", tt.requests, FormatCheck(ch), tt.pass)
		}
	}
	// A case that declares no refusals counts every request of the broken run.
	r, _ := Lookup("redis-pool-unbounded")
	rb := figures{requests: 1000, failed: 100, failures: map[string]int64{"status 503": 100}, setup: r.Broken}.run("broken")
	mine := figures{requests: 900, setup: r.StudentSetup(r.Exercise.Solution)}.run("yours")
	if ch := checkNamed(t, JudgeStudent(r, r.Exercise.Solution, rb, mine), "yours", "requests sent, of the shipped broken run's"); ch.Pass || ch.Rule != "yours ≥ 95%" {
		t.Errorf("900 of 1000 with no refusals declared: got %s, want a failure against every request", FormatCheck(ch))
	}
}
