package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/report"
)

// statusServer answers every request with status and counts them.
func statusServer(t *testing.T, status int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(status)
		w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// runCLI runs the command as main would, with env as the environment.
func runCLI(t *testing.T, ctx context.Context, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExit2(t *testing.T) {
	srv, _ := statusServer(t, 200)
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no command", nil, nil, "usage: loadtest"},
		{"unknown command", nil, []string{"fly"}, `unknown command "fly"`},
		{"no scenario", nil, []string{"run", "--endpoint", srv.URL}, "want one scenario"},
		{"unknown scenario", nil, []string{"run", "lunch", "--endpoint", srv.URL}, `no scenario "lunch"`},
		{"no endpoint", nil, []string{"run", "smoke"}, "no endpoint: pass --endpoint URL or set ENDPOINT"},
		{"endpoint not a URL", nil, []string{"run", "smoke", "--endpoint", "localhost"}, `endpoint "localhost"`},
		{"unknown variant", nil, []string{"run", "planners-and-studiers", "--variant", "lazy", "--endpoint", srv.URL}, `no variant "lazy"`},
		{"parameter not taken", nil, []string{"run", "planners-and-studiers", "--vus", "3", "--endpoint", srv.URL}, "does not take --vus"},
		{"bad threshold", nil, []string{"run", "smoke", "--threshold", "p95<1", "--endpoint", srv.URL}, `unknown metric "p95"`},
		{"bad time scale", nil, []string{"run", "smoke", "--time-scale", "-1", "--endpoint", srv.URL}, "--time-scale -1: want a positive number"},
		// Zero would otherwise mean "not set" and run the whole plan unscaled.
		{"zero time scale", nil, []string{"run", "planners-and-studiers", "--time-scale", "0", "--endpoint", srv.URL}, "--time-scale 0: want a positive number"},
		{"zero VUs scale", nil, []string{"run", "planners-and-studiers", "--vus-scale", "0", "--endpoint", srv.URL}, "--vus-scale 0: want a positive number"},
		{"timeout without a unit", nil, []string{"run", "smoke", "--timeout", "100", "--endpoint", srv.URL}, "loadtest run: --timeout 100: add a unit, such as 100ms"},
		{"unknown flag", nil, []string{"run", "smoke", "--turbo"}, "flag provided but not defined: -turbo"},
		{"report of nothing", nil, []string{"report"}, "usage: loadtest report"},
		{"report of a missing file", nil, []string{"report", filepath.Join(t.TempDir(), "none.json")}, "no such file"},
		{"merge of one", nil, []string{"merge", "a.json"}, "want at least two summaries"},
		{"list with arguments", nil, []string{"list", "all"}, "usage: loadtest list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, context.Background(), tc.env, tc.args...)
			if code != exitUsage {
				t.Errorf("exit code: got %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q; got:\n%s", tc.want, stderr)
			}
			if strings.Contains(tc.want, "add a unit") && strings.Contains(stderr, "flags:") {
				t.Errorf("a missing unit dumps the whole usage:\n%s", stderr)
			}
		})
	}
}

func TestListShowsEveryScenario(t *testing.T) {
	code, stdout, _ := runCLI(t, context.Background(), nil, "list")
	if code != exitOK {
		t.Fatalf("exit code: got %d, want 0", code)
	}
	for _, name := range []string{"planners-and-studiers", "website", "smoke", "throughput", "sleepers", "--variant fixed|practical"} {
		if !strings.Contains(stdout, name) {
			t.Errorf("list lacks %q; got:\n%s", name, stdout)
		}
	}
}

func TestThresholdsDecideTheExitCode(t *testing.T) {
	cases := []struct {
		name   string
		status int
		want   int
	}{
		{"healthy server passes", 200, exitOK},
		{"failing server crosses http_req_failed", 500, exitThreshold},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := statusServer(t, tc.status)
			// The endpoint comes from ENDPOINT, as in the practical.
			code, stdout, stderr := runCLI(t, context.Background(), map[string]string{"ENDPOINT": srv.URL},
				"run", "throughput", "--vus", "2", "--duration", "300ms", "--quiet",
				"--threshold", "http_req_failed<0.01", "--threshold", "http_req_duration{p99}<10s")
			if code != tc.want {
				t.Errorf("exit code: got %d, want %d\nstderr: %s", code, tc.want, stderr)
			}
			if !strings.Contains(stdout, "http_req_duration") || !strings.Contains(stdout, "thresholds:") {
				t.Errorf("no summary on stdout; got:\n%s", stdout)
			}
			if tc.want == exitThreshold && !strings.Contains(stderr, "thresholds crossed: http_req_failed<0.01") {
				t.Errorf("stderr does not name the crossed threshold; got:\n%s", stderr)
			}
		})
	}
}

func TestMergeOfTwoHalfRunsEqualsBoth(t *testing.T) {
	srv, served := statusServer(t, 200)
	dir := t.TempDir()
	a, b, m, page := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "m.json"), filepath.Join(dir, "m.html")
	// Two runs side by side, as two load generators would.
	done := make(chan int, 2)
	runPage := filepath.Join(dir, "a.html")
	for _, out := range []string{a, b} {
		go func() {
			args := []string{"run", "throughput", "--endpoint", srv.URL, "--vus", "2", "--duration", "400ms", "--quiet", "--out", out}
			if out == a {
				args = append(args, "--html", runPage)
			}
			code, _, _ := runCLI(t, context.Background(), nil, args...)
			done <- code
		}()
	}
	for range 2 {
		if code := <-done; code != exitOK {
			t.Fatalf("half run: exit code %d", code)
		}
	}
	code, stdout, stderr := runCLI(t, context.Background(), nil, "merge", a, b, "--out", m, "--html", page)
	if code != exitOK {
		t.Fatalf("merge: exit code %d\n%s", code, stderr)
	}
	sa, sb, sm := readSummary(t, a), readSummary(t, b), readSummary(t, m)
	total := sm.Total()
	if got, want := total.Count, sa.Total().Count+sb.Total().Count; got != want {
		t.Errorf("merged requests: got %d, want %d + %d", got, sa.Total().Count, sb.Total().Count)
	}
	// Interrupted requests are not recorded, so the server may have seen a
	// few more than the runs counted, never fewer.
	if total.Count > served.Load() {
		t.Errorf("merged requests: got %d, but the server saw only %d", total.Count, served.Load())
	}
	if got, want := sm.Iterations.Complete, sa.Iterations.Complete+sb.Iterations.Complete; got != want {
		t.Errorf("merged iterations: got %d, want %d", got, want)
	}
	if got, want := total.Duration.Count(), total.Count; got != want {
		t.Errorf("merged histogram holds %d values, want %d", got, want)
	}
	var series int64
	for _, p := range sm.Series {
		series += p.Requests
	}
	if series != total.Count {
		t.Errorf("merged time series: %d requests, want %d", series, total.Count)
	}
	if got := sm.Runs; got != 2 {
		t.Errorf("runs: got %d, want 2", got)
	}
	if !strings.Contains(stdout, "2 runs merged") {
		t.Errorf("merge summary does not say it merged; got:\n%s", stdout)
	}
	// run, merge and report write one page: the dashboard's, its run
	// inlined.
	ra := savedDashboard(t, runPage)
	if len(ra.Events) == 0 || ra.Events[len(ra.Events)-1].Requests != sa.Total().Count || len(ra.Final.Names) == 0 {
		t.Errorf("run --html: got %+v, want the run's events and end", ra)
	}
	rm := savedDashboard(t, page)
	if len(rm.Events) != len(sm.Series) || rm.Events[len(rm.Events)-1].Requests != total.Count || rm.Final.Names[0].Count != total.Count {
		t.Errorf("merge --html: got %d events (%+v), want one a point of the merged series (%d), %d requests", len(rm.Events), rm.Final, len(sm.Series), total.Count)
	}

	// report renders a saved summary again, and thresholds given to it are
	// evaluated on the saved data.
	code, stdout, _ = runCLI(t, context.Background(), nil, "report", m)
	if code != exitOK || !strings.Contains(stdout, "http_reqs") {
		t.Errorf("report: exit code %d, summary:\n%s", code, stdout)
	}
	rpage := filepath.Join(dir, "r.html")
	code, _, stderr = runCLI(t, context.Background(), nil, "report", m, "--threshold", "http_reqs<1", "--html", rpage)
	if code != exitThreshold {
		t.Errorf("report with a crossed threshold: exit code %d, want %d\n%s", code, exitThreshold, stderr)
	}
	rr := savedDashboard(t, rpage)
	if len(rr.Events) != len(sm.Series) || len(rr.Final.Thresholds) != 1 || rr.Final.Thresholds[0].Expr != "http_reqs<1" || rr.Final.Thresholds[0].OK {
		t.Errorf("report --html: got %d events, thresholds %+v, want the series and http_reqs<1 crossed", len(rr.Events), rr.Final.Thresholds)
	}
}

func TestFirstSignalStopsGracefully(t *testing.T) {
	srv, _ := statusServer(t, 200)
	out := filepath.Join(t.TempDir(), "s.json")
	ctx, cancel := context.WithCancel(context.Background())
	// The signal arrives 300ms into a ten-minute run.
	time.AfterFunc(300*time.Millisecond, cancel)
	code, stdout, stderr := runCLI(t, ctx, nil, "run", "throughput", "--endpoint", srv.URL,
		"--vus", "2", "--duration", "10m", "--quiet", "--out", out)
	if code != exitOK {
		t.Fatalf("exit code: got %d, want 0\n%s", code, stderr)
	}
	s := readSummary(t, out)
	// Stopped, not run to its end: shorter than the plan's ten minutes.
	if s.Elapsed() >= 10*time.Minute {
		t.Errorf("the run went on for %v after the signal, its whole duration", s.Elapsed())
	}
	if s.Total().Count == 0 || !strings.Contains(stdout, "http_reqs") {
		t.Errorf("no summary after a graceful stop; got:\n%s", stdout)
	}
}

func readSummary(t *testing.T, path string) *metrics.Summary {
	t.Helper()
	s, err := metrics.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A run against a port nobody listens on says so first and exits 3, not 0
// or 99, and sends nobody to the server's logs.
func TestRunAgainstAClosedPortSaysNoRequestReachedIt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close()

	code, stdout, stderr := runCLI(t, context.Background(), nil, "run", "smoke", "--endpoint", endpoint, "--quiet")
	if code != exitUnreached || code == exitOK || code == exitThreshold {
		t.Errorf("exit code: got %d, want %d", code, exitUnreached)
	}
	want := "loadtest: no request reached " + endpoint + ": connection refused"
	i := strings.Index(stderr, want)
	if i < 0 {
		t.Fatalf("stderr lacks %q; got:\n%s", want, stderr)
	}
	if j := strings.Index(stderr, "thresholds crossed"); j >= 0 && j < i {
		t.Errorf("the thresholds are reported before the cause:\n%s", stderr)
	}
	if strings.Contains(stdout+stderr, "server's logs") || strings.Contains(stdout, "request_id=") {
		t.Errorf("the output sends the user to the server's logs:\n%s\n%s", stdout, stderr)
	}
}

type savedRun struct {
	Events []report.DashboardEvent `json:"events"`
	Final  report.DashboardFinal   `json:"final"`
}

// savedDashboard reads the run inlined in a page written by --html, and
// checks the page is the dashboard's.
func savedDashboard(t *testing.T, path string) savedRun {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if !strings.Contains(page, `new EventSource("/events")`) || !strings.Contains(page, "uPlot") {
		t.Errorf("%s is not the dashboard's page", path)
	}
	m := regexp.MustCompile(`(?m)^const RUN = (.*);$`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("%s inlines no run", path)
	}
	var run savedRun
	if err := json.Unmarshal([]byte(m[1]), &run); err != nil {
		t.Fatalf("%s: the inlined run: %v", path, err)
	}
	return run
}
