package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// runLab runs the command with args and stdin, and returns its exit code and output.
func runLab(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := run(ctx, args, func(string) string { return "" }, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no command", nil, "usage: lab COMMAND"},
		{"unknown command", []string{"explode"}, `unknown command "explode"`},
		{"list with arguments", []string{"list", "x"}, "takes no arguments"},
		{"run with nothing", []string{"run"}, "name the cases to run, or --all"},
		{"run an unknown case", []string{"run", "nope"}, "no case nope"},
		{"run with names and --all", []string{"run", "--all", "db-saturation"}, "not both"},
		{"run with a bad flag", []string{"run", "--fast"}, "flag provided but not defined"},
		{"capacity with an argument", []string{"capacity", "x"}, "takes flags only"},
		{"capacity with a bad memory", []string{"capacity", "--db-memory", "lots"}, "--db-memory"},
		{"capacity with VUs but no think time", []string{"capacity", "--vus", "10"}, "--vus needs --think"},
		{"capacity with two loads", []string{"capacity", "--rps", "5", "--scenario", "website"}, "give one of"},
		{"capacity with an unknown class", []string{"capacity", "--db-class", "db.x.y"}, "unknown DB instance class"},
		{"capacity with a missing summary", []string{"capacity", "--summary", "/nonexistent.json"}, "--summary"},
		{"capacity with no CPU", []string{"capacity", "--cpu", "0"}, "--cpu 0: want a number above 0"},
		{"capacity with a negative CPU", []string{"capacity", "--cpu", "-1"}, "--cpu -1: want a number above 0"},
		{"capacity with no tasks", []string{"capacity", "--tasks", "0"}, "--tasks 0: want a number above 0"},
		{"capacity with redis zero", []string{"capacity", "--redis-max-active", "0"}, "unlimited"},
		{"trace without an id", []string{"trace"}, "give one REQUEST_ID"},
		{"trace with a missing log", []string{"trace", "x", "--logs", "/nonexistent.log"}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runLab(t, "", tt.args...)
			if code != cli.ExitUsage {
				t.Errorf("exit code: got %d, want %d", code, cli.ExitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr: got %q, want it to contain %q", stderr, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	if code, out, _ := runLab(t, "", "help"); code != cli.ExitOK || !strings.Contains(out, "capacity") {
		t.Errorf("got %d %q, want 0 and the usage", code, out)
	}
	if code, _, _ := runLab(t, "", "run", "-h"); code != cli.ExitOK {
		t.Errorf("run -h: got %d, want 0", code)
	}
}

func TestList(t *testing.T) {
	code, out, _ := runLab(t, "", "list")
	if code != cli.ExitOK {
		t.Fatalf("exit code %d", code)
	}
	for _, want := range []string{"redis-pool-unbounded [quick]", "db-saturation [quick]", "max-connections [quick]",
		"planners-and-studiers\n", "pg-max-connections [quick]", "slow-database [quick]", "Plan exercises", "\ngenerator-bottleneck\n", "\nno-thresholds\n", "source: Testing With Load", "LEAST(DBInstanceClassMemory/9531392, 5000)"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q", want)
		}
	}
}

func TestCapacity(t *testing.T) {
	// The practical's figures: fine for pools, tight for the load.
	code, out, _ := runLab(t, "", "capacity")
	if code != cli.ExitOK || !strings.Contains(out, "2 × cpu + 1 = 2 × 1 + 1 = 3") || !strings.Contains(out, "WARN") {
		t.Errorf("defaults: got %d\n%s", code, out)
	}
	// The project's tfvars with pools of 30: four tasks ask for 120 of 112.
	code, out, _ = runLab(t, "", "capacity", "--tfvars", "../../terraform/terraform.tfvars.example", "--db-max-conns", "30")
	if code != cli.ExitFailure || !strings.Contains(out, "4 × 30 = 120") || !strings.Contains(out, "OVER") {
		t.Errorf("pool sum over max_connections: got %d, want %d and OVER\n%s", code, cli.ExitFailure, out)
	}
}

func TestCapacityReadsServiceTime(t *testing.T) {
	s := &metrics.Summary{Version: metrics.SummaryVersion, Requests: map[string]*metrics.RequestStats{}}
	h := metrics.NewHistogram()
	for range 10 {
		h.Record(40 * time.Millisecond)
	}
	s.Requests["GET /api/v1/todos"] = &metrics.RequestStats{Count: 10, Duration: h}
	path := filepath.Join(t.TempDir(), "summary.json")
	if err := s.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runLab(t, "", "capacity", "--summary", path, "--request", "GET /api/v1/todos")
	if code != cli.ExitOK {
		t.Fatalf("got %d: %s", code, errOut)
	}
	// 3 workers at 40 ms serve 75 requests/s (the histogram keeps three
	// significant digits: 40.02 ms).
	if !strings.Contains(out, "mean of 10 × GET /api/v1/todos") {
		t.Errorf("output does not say where the service time came from:\n%s", out)
	}
	m := regexp.MustCompile(`capacity += tasks × workers / service time = 1 × 3 / 40\.\d* ms = (7[45]\.\d+) req/s`).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("output lacks a capacity of 3 workers at 40 ms, about 75 req/s:\n%s", out)
	}
	if code, _, errOut := runLab(t, "", "capacity", "--summary", path, "--request", "nope"); code != cli.ExitUsage || !strings.Contains(errOut, "no request named") {
		t.Errorf("unknown request: got %d %q", code, errOut)
	}
}

const logs = `{"time":"2026-11-22T09:00:00.000Z","level":"DEBUG","msg":"request started","request_id":"abc","method":"GET","url":"/api/v1/me"}
{"time":"2026-11-22T09:00:00.002Z","level":"DEBUG","msg":"redis","request_id":"abc","cmd":"GETEX","duration_ms":0.3}
{"time":"2026-11-22T09:00:00.003Z","level":"INFO","msg":"request finished","request_id":"abc","method":"GET","url":"/api/v1/me","status":200,"duration_ms":3}
`

func TestTrace(t *testing.T) {
	code, out, _ := runLab(t, logs, "trace", "abc")
	if code != cli.ExitOK || !strings.Contains(out, "redis GETEX") || !strings.Contains(out, "+3.000ms") {
		t.Errorf("stdin: got %d\n%s", code, out)
	}
	// Nothing on stdin: say where logs are, not only that none matched.
	if code, _, errOut := runLab(t, "", "trace", "zzz"); code != cli.ExitFailure || !strings.Contains(errOut, `"zzz"`) ||
		!strings.Contains(errOut, "--logs") || !strings.Contains(errOut, "lab-results/<time>/CASE/") || !strings.Contains(errOut, "LOG_LEVEL=debug") {
		t.Errorf("unknown id on stdin: got %d %q, want %d and where to find logs", code, errOut, cli.ExitFailure)
	}
	// A directory: every instance's log, each line tagged with its file.
	dir := t.TempDir()
	lines := strings.SplitAfter(logs, "\n")
	os.WriteFile(filepath.Join(dir, "api-1.log"), []byte(lines[0]+lines[2]), 0o644)
	os.WriteFile(filepath.Join(dir, "api-2.log"), []byte(lines[1]), 0o644)
	code, out, _ = runLab(t, "", "trace", "--logs", dir, "abc")
	if code != cli.ExitOK || !strings.Contains(out, "[api-2.log]") || strings.Index(out, "GETEX") > strings.Index(out, "request finished") {
		t.Errorf("directory: got %d\n%s", code, out)
	}
	// A lab case's folder: broken/api.log and fixed/api.log, each line
	// tagged with its run.
	caseDir := t.TempDir()
	for run, text := range map[string]string{"broken": lines[0] + lines[2], "fixed": lines[1]} {
		os.MkdirAll(filepath.Join(caseDir, run), 0o755)
		os.WriteFile(filepath.Join(caseDir, run, "api.log"), []byte(text), 0o644)
	}
	code, out, errOut := runLab(t, "", "trace", "abc", "--logs", caseDir)
	if code != cli.ExitOK || !strings.Contains(out, "[broken/api.log]") || !strings.Contains(out, "[fixed/api.log]") {
		t.Errorf("a case folder: got %d %q\n%s", code, errOut, out)
	}
	// A folder without logs says what it looked for.
	if code, _, errOut := runLab(t, "", "trace", "abc", "--logs", t.TempDir()); code != cli.ExitUsage || !strings.Contains(errOut, "broken/api.log") {
		t.Errorf("an empty folder: got %d %q", code, errOut)
	}
}
