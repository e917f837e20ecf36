package report_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/report"
)

// chartPoints reads what the page recorded of each chart: how many points
// and series it holds, by chart id.
func chartPoints(t *testing.T, dom string) map[string][2]int {
	t.Helper()
	got := map[string][2]int{}
	re := regexp.MustCompile(`data-chart="(\w+)" data-points="(\d+)" data-series="(\d+)"`)
	for _, m := range re.FindAllStringSubmatch(dom, -1) {
		p, _ := strconv.Atoi(m[2])
		s, _ := strconv.Atoi(m[3])
		got[m[1]] = [2]int{p, s}
	}
	return got
}

func attr(dom, name string) int {
	m := regexp.MustCompile(`<body[^>]* ` + name + `="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// The live page in a real Chromium: it loads, takes the run's events over
// the stream until the run ends it, its uPlot charts hold the points, and
// its checks and thresholds tables hold rows while the run goes, before
// the end; the saved page (WithHTML) is the same renderer with the run
// inlined.
func TestDashboardLiveInChromium(t *testing.T) {
	bin := report.Chromium(t)
	srv := report.APIMetrics(t)
	server := report.ProbeServerMetrics(context.Background(), srv.URL)
	if server == nil {
		t.Fatal("the API's /metrics was not found")
	}
	saved := filepath.Join(t.TempDir(), "run.html")
	dash, err := report.NewDashboard("127.0.0.1:0", report.WithHTML(saved), report.WithServerMetrics(server))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	plan := loadtests.Plan{Name: "live", Thresholds: []string{"checks{name=home is 200}==1", "http_req_failed<0.01"}, Scenarios: []loadtests.Scenario{{
		Name:     "get",
		Executor: loadtests.ConstantVUs{VUs: 2, Duration: 3 * time.Second},
		User: loadtests.Func("get", func(vu *loadtests.VU) error {
			vu.Check("home is 200", vu.Get("/", loadtests.Name("home")).Status == 200)
			vu.Check("bad is 200", vu.Get("/bad", loadtests.Name("bad")).Status == 200)
			return vu.Sleep(10 * time.Millisecond)
		}),
	}}}
	// Chromium opens the page first; the run starts once the page follows
	// the stream, so every event reaches it live, then "done", and the
	// server ends the stream. Chromium's virtual time budget lets the
	// page's scripts run before the DOM is dumped; it ends (long before
	// the budget) once nothing is left open, so it does not hang on the
	// stream, and the run ending is what ends it.
	dumped := make(chan string, 1)
	go func() {
		dumped <- string(report.Headless(t, bin, "--virtual-time-budget=60000", "--dump-dom", "http://"+dash.Addr()+"/"))
	}()
	for dash.Pages() == 0 {
		select {
		case dom := <-dumped:
			t.Fatalf("chromium ended before following the stream:\n%s", dom)
		case <-ctx.Done():
			t.Fatal("chromium did not open the page's stream in a minute")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, err := loadtests.Run(ctx, plan, loadtests.Options{Endpoint: srv.URL, Outputs: []loadtests.Output{dash}}); err != nil {
		t.Fatal(err)
	}
	dom := <-dumped
	all := dash.Events()
	checkPage(t, "live", dom, all)
	// While the run went, the events before the end filled both tables
	// (the page counts those): each one, but for the first when the run
	// started just before a whole second and no check had run yet; and the last table, the end's, has the
	// check that always failed and the threshold /bad crossed.
	if got := attr(dom, "data-live-checks"); got < all-2 || got < 1 {
		t.Errorf("live page: the checks table had rows in %d events before the end, want %d or %d", got, all-2, all-1)
	}
	if got := attr(dom, "data-live-thresholds"); got < all-1 {
		t.Errorf("live page: the thresholds table had rows in %d events before the end, want all %d", got, all-1)
	}
	if dash.Served() < int64(all)+1 {
		t.Errorf("events served: %d, want the run's %d and done", dash.Served(), all)
	}

	// The saved page: the same renderer, the whole run inlined.
	if _, err := os.Stat(saved); err != nil {
		t.Fatal(err)
	}
	checkPage(t, "saved", string(report.Headless(t, bin, "--dump-dom", "file://"+saved)), all)
}

// checkPage checks the page took the run's events, all of them, and its
// end, and that each chart holds one point an event: VUs and requests/s
// one series, latency "all" and both request names, failures the one kind,
// and the server's panels theirs.
func checkPage(t *testing.T, view, dom string, events int) {
	t.Helper()
	if got := attr(dom, "data-events"); got != events || attr(dom, "data-drawn") != events {
		t.Errorf("%s page: got %d events (%d drawn), want the run's %d", view, got, attr(dom, "data-drawn"), events)
	}
	if !regexp.MustCompile(`<body[^>]* data-done="true"`).MatchString(dom) {
		t.Errorf("%s page: the run's end (done) did not arrive", view)
	}
	charts := chartPoints(t, dom)
	for id, series := range map[string]int{"vus": 1, "rps": 1, "p50": 3, "p95": 3, "p99": 3, "kinds": 1, "dropped": 1,
		"pool": 2, "poolwait": 2, "inflight": 2, "conns": 1, "dials": 1} {
		got := charts[id]
		if got[0] != events || got[1] != series {
			t.Errorf("%s page, chart %s: holds %d points of %d series, want %d points (one an event) of %d", view, id, got[0], got[1], events, series)
		}
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<tr><th>bad is 200</th><td>0</td><td class="fail">\d+</td><td class="seen">bad got 503 ×\d+</td></tr>`),
		regexp.MustCompile(`<tr><th>home is 200</th><td>\d+</td><td class="">0</td>`),
		regexp.MustCompile(`<tr><th>checks\{name=home is 200\}==1</th><td class="ok">✓ ok</td><td>100.00%</td></tr>`),
		regexp.MustCompile(`<tr><th>http_req_failed&lt;0.01</th><td class="fail">✗ crossed</td><td>50.00%</td></tr>`),
	} {
		if !want.MatchString(dom) {
			t.Errorf("%s page: the checks and thresholds tables lack %s", view, want)
		}
	}
}
