package loadtests_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

func twoPlans() []loadtests.Plan {
	plan := func(name string, n int) loadtests.Plan {
		return loadtests.Plan{Name: name, Scenarios: []loadtests.Scenario{{
			Name:     "get",
			Executor: loadtests.SharedIterations{VUs: 2, Iterations: n},
			User:     loadtests.Func("get", func(vu *loadtests.VU) error { vu.Get("/"); return nil }),
		}}}
	}
	return []loadtests.Plan{plan("small", 3), plan("large", 7)}
}

func runCommand(t *testing.T, c loadtests.Command, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := c.Run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPlansCommandRunsTheNamedPlanWithItsOutputs(t *testing.T) {
	srv, served := counter(t)
	dir := t.TempDir()
	jsonl, sum := filepath.Join(dir, "samples.jsonl"), filepath.Join(dir, "summary.json")
	code, stdout, stderr := runCommand(t, loadtests.PlansCommand("myplan", twoPlans()...),
		"large", "--endpoint", srv.URL, "--quiet", "--out-jsonl", jsonl, "--out", sum, "--metrics-addr", "127.0.0.1:0", "--dashboard=127.0.0.1:0", "--server-metrics", "none")
	if code != 0 {
		t.Fatalf("exit code %d, want 0\n%s", code, stderr)
	}
	if served.Load() != 7 || !strings.Contains(stdout, "http_reqs") {
		t.Errorf("served %d requests, want the large plan's 7; summary:\n%s", served.Load(), stdout)
	}
	if !strings.Contains(stderr, "myplan: metrics on http://127.0.0.1:") || !strings.Contains(stderr, "myplan: live dashboard on http://127.0.0.1:") {
		t.Errorf("stderr does not say where the metrics are:\n%s", stderr)
	}
	b, err := os.ReadFile(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 7 {
		t.Errorf("jsonl: %d lines, want 7", n)
	}
	s, err := metrics.ReadFile(sum)
	if err != nil || s.Plan != "large" {
		t.Errorf("summary.json: got %v, %v; want the large plan's", s, err)
	}
}

func TestPlansCommandUsageErrors(t *testing.T) {
	srv, _ := counter(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no plan named among several", []string{"--endpoint", srv.URL}, "want one plan (small, large)"},
		{"unknown plan", []string{"huge", "--endpoint", srv.URL}, `no plan "huge" (have: small, large)`},
		{"metrics address taken by nothing sensible", []string{"small", "--endpoint", srv.URL, "--metrics-addr", "256.1.1.1:0"}, "--metrics-addr 256.1.1.1:0"},
		{"no endpoint", []string{"small"}, "no endpoint"},
		{"dashboard on a bad address", []string{"small", "--endpoint", srv.URL, "--dashboard=256.1.1.1:0"}, "--dashboard 256.1.1.1:0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCommand(t, loadtests.PlansCommand("myplan", twoPlans()...), tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("got exit %d and\n%s\nwant 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestOnePlanCommandTakesNoArgument(t *testing.T) {
	srv, served := counter(t)
	code, _, stderr := runCommand(t, loadtests.PlansCommand("myplan", twoPlans()[0]), "--endpoint", srv.URL, "--quiet", "--threshold", "http_reqs<2")
	if code != loadtests.ExitThreshold || served.Load() != 3 || !strings.Contains(stderr, "myplan: thresholds crossed: http_reqs<2") {
		t.Errorf("got exit %d after %d requests and\n%s\nwant %d after 3", code, served.Load(), stderr, loadtests.ExitThreshold)
	}
}

// --html writes the dashboard's page with the run inlined; the endpoint's
// /metrics is probed once and, not being this project's API, not drawn;
// a --server-metrics that is no http URL is a usage error.
func TestRunCommandHTMLIsTheDashboardsPage(t *testing.T) {
	srv, served := counter(t)
	page := filepath.Join(t.TempDir(), "run.html")
	code, _, stderr := runCommand(t, loadtests.PlansCommand("myplan", twoPlans()...),
		"small", "--endpoint", srv.URL, "--quiet", "--html", page)
	if code != 0 {
		t.Fatalf("exit code %d, want 0\n%s", code, stderr)
	}
	if served.Load() != 3+1 || strings.Contains(stderr, "server's side") {
		t.Errorf("served %d requests, want the plan's 3 and one probe of /metrics, not drawn:\n%s", served.Load(), stderr)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `const RUN = {"events":[`) || !strings.Contains(string(b), `"final":{"plan":"`) || !strings.Contains(string(b), `"names":[{"name":"GET `) {
		t.Errorf("the page does not hold the run inlined:\n%.2000s", b)
	}
	for _, bad := range []string{"ftp://host/metrics", "127.0.0.1:9/metrics", "http://"} {
		code, _, stderr := runCommand(t, loadtests.PlansCommand("myplan", twoPlans()...),
			"small", "--endpoint", srv.URL, "--quiet", "--html", page, "--server-metrics", bad)
		if code != 2 || !strings.Contains(stderr, "--server-metrics") {
			t.Errorf("--server-metrics %s: exit %d, want 2 naming the flag\n%s", bad, code, stderr)
		}
	}
}
