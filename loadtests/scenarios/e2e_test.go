package scenarios_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/apiproc"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

func TestMain(m *testing.M) { os.Exit(backingtest.RunTests(m)) }

// startAPI starts the real API server on a fresh database and stops it when
// the test ends.
func startAPI(t *testing.T) *apiproc.Process {
	t.Helper()
	env := backingtest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := apiproc.Start(ctx, apiproc.Options{Env: map[string]string{
		"DATABASE_URL": backingtest.FreshDatabase(t, env),
		"REDIS_URL":    env.RedisURL,
		"BCRYPT_COST":  "4",
	}})
	if err != nil {
		t.Fatalf("start the API: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Logf("stop the API: %v", err)
		}
	})
	return p
}

// runBundled builds and runs a bundled plan against the API.
func runBundled(t *testing.T, name string, params scenarios.Params, opts loadtests.Options) *metrics.Summary {
	t.Helper()
	b, ok := scenarios.Lookup(name)
	if !ok {
		t.Fatalf("no bundled plan %q", name)
	}
	plan, err := b.Build(params)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := loadtests.Run(ctx, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		var out bytes.Buffer
		if err := reportText(&out, s); err == nil {
			t.Log(out.String())
		}
	}
	return s
}

func failedChecks(s *metrics.Summary) map[string]int64 {
	out := map[string]int64{}
	for name, c := range s.Checks {
		if c.Fail > 0 {
			out[name] = c.Fail
		}
	}
	return out
}

// The practical's scenario, time-scaled to seconds (sleeps of 0.1 s and 1.2 s): 1 planner doing
// 20 iterations, studiers peaking at 125 VUs.
var practicalScale = loadtests.Options{TimeScale: 0.01, VUsScale: 0.05}

func TestPlannersAndStudiersFixedPassesAndCleansUp(t *testing.T) {
	api := startAPI(t)
	opts := practicalScale
	opts.Endpoint = api.URL
	s := runBundled(t, "planners-and-studiers", scenarios.Params{Variant: "fixed"}, opts)

	if got := failedChecks(s); len(got) != 0 {
		t.Errorf("failed checks: got %v, want none", got)
	}
	if got := s.Findings[scenarios.LeftBehind]; got != 0 {
		t.Errorf("todos left behind: got %d, want 0", got)
	}
	if got := s.Total().Failed; got != 0 {
		t.Errorf("failed requests: got %d, want 0 (errors: %+v)", got, s.Errors)
	}
	for _, check := range []string{"is status 200", "is status 201", "no todos left behind"} {
		if c := s.Checks[check]; c == nil || c.Pass == 0 {
			t.Errorf("check %q never passed", check)
		}
	}
	// 400 iterations scaled by 0.05.
	if got, want := s.Requests["DELETE /api/v1/todos/{id}"].Count, int64(20); got != want {
		t.Errorf("DELETE requests: got %d, want %d", got, want)
	}
	// Every request carried its own id, which the server logged: the
	// slowest one can be found in its logs.
	if len(s.Slowest) == 0 || !bytes.Contains(api.Logs(), []byte(s.Slowest[0].RequestID)) {
		t.Errorf("the slowest request's id %q is not in the server's logs", s.Slowest[0].RequestID)
	}
	if bytes.Contains(api.Logs(), []byte("/api/v1/todos/undefined")) {
		t.Error("the fixed variant requested /api/v1/todos/undefined")
	}
}

func TestPlannersAndStudiersPracticalShowsTheHandoutsBugs(t *testing.T) {
	api := startAPI(t)
	opts := practicalScale
	opts.Endpoint = api.URL
	s := runBundled(t, "planners-and-studiers", scenarios.Params{Variant: "practical"}, opts)

	// Both planner checks fail on every iteration: the POST answers 201,
	// not 200, and the DELETE of /todos/undefined answers 404.
	c := s.Checks["is status 200"]
	if c == nil || c.Fail < 40 {
		t.Errorf("failed 'is status 200' checks: got %+v, want at least 40 (2 per planner iteration)", c)
	}
	// The failures say which request got what.
	if c != nil {
		seen := map[string]int64{}
		for _, f := range c.Failures {
			seen[f.Request+" got "+f.Seen] = f.Count
		}
		if seen["POST /api/v1/todos got 201"] != 20 || seen["DELETE /api/v1/todos/{id} got 404"] != 20 {
			t.Errorf("failures of 'is status 200': got %v, want POST got 201 ×20 and DELETE got 404 ×20", c.Failures)
		}
	}
	if c := s.Checks["no todos left behind"]; c == nil || len(c.Failures) != 1 || c.Failures[0].String() != "saw 20 left ×1" {
		t.Errorf("failures of 'no todos left behind': got %+v, want saw 20 left ×1", c)
	}
	if _, ok := s.Checks["is status 201"]; ok {
		t.Error("the practical variant checked for 201")
	}
	if got, want := s.Findings[scenarios.LeftBehind], int64(20); got != want {
		t.Errorf("todos left behind: got %d, want %d", got, want)
	}
	if got := s.Checks["no todos left behind"]; got == nil || got.Fail != 1 {
		t.Errorf("check 'no todos left behind': got %+v, want one failure", got)
	}
	logs := api.Logs()
	if n := bytes.Count(logs, []byte(`/api/v1/todos/undefined`)); n < 20 {
		t.Errorf("requests to /api/v1/todos/undefined in the server's logs: got %d, want at least 20", n)
	}
	var grouped bool
	for _, e := range s.Errors {
		if e.Kind == "status 404" && strings.Contains(e.Message, "undefined") && strings.HasSuffix(e.URL, "/api/v1/todos/undefined") {
			grouped = true
			if !bytes.Contains(logs, []byte(e.RequestID)) {
				t.Errorf("the 404's request id %q is not in the server's logs", e.RequestID)
			}
		}
	}
	if !grouped {
		t.Errorf("no error group for the 404s on /todos/undefined: %+v", s.Errors)
	}
}

func TestSmokeChecksEveryEndpoint(t *testing.T) {
	api := startAPI(t)
	s := runBundled(t, "smoke", scenarios.Params{}, loadtests.Options{Endpoint: api.URL})
	if got := failedChecks(s); len(got) != 0 {
		t.Errorf("failed checks: got %v, want none", got)
	}
	if got, want := len(s.Checks), 25; got != want {
		t.Errorf("checks: got %d, want %d", got, want)
	}
	// The 4xx it asks for on purpose are expected: no request failed.
	if got := s.Total(); got.Failed != 0 {
		t.Errorf("http_req_failed: got %d of %d, want 0 (%v)", got.Failed, got.Count, got.Failures)
	}
	for _, th := range s.Thresholds {
		if !th.OK {
			t.Errorf("threshold %s crossed (observed %v)", th.Expr, th.Observed)
		}
	}
}

func TestWebsiteUsersLogInAndBrowse(t *testing.T) {
	api := startAPI(t)
	s := runBundled(t, "website", scenarios.Params{VUs: 5, Duration: 40 * time.Second},
		loadtests.Options{Endpoint: api.URL, TimeScale: 0.05})
	if got := failedChecks(s); len(got) != 0 {
		t.Errorf("failed checks: got %v, want none (errors %+v)", got, s.Errors)
	}
	for _, check := range []string{"registered", "logged in", "logged out"} {
		if c := s.Checks[check]; c == nil || c.Pass != 5 {
			t.Errorf("check %q: got %+v, want 5 passes (one per user)", check, c)
		}
	}
	browsed := s.Checks["todos listed"].Pass + s.Checks["me is the logged-in user"].Pass
	// Each user has about 2 s with waits of 0.25 to 0.75 s: some tasks each.
	if browsed < 5 {
		t.Errorf("tasks run: got %d, want at least 5", browsed)
	}
}
