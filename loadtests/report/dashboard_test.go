package report_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/report"
)

var _ loadtests.Output = (*report.Dashboard)(nil)

func TestDashboardStreamsTheRunLive(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	dash, err := report.NewDashboard("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	page, err := http.Get("http://" + dash.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.Contains(string(body), `new EventSource("/events")`) {
		t.Fatalf("page does not subscribe to /events:\n%s", body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	plan := loadtests.Plan{Name: "live", Thresholds: []string{"checks>0.99", "http_req_duration{name=nowhere}{p95}<1s"}, Scenarios: []loadtests.Scenario{{
		Name:     "get",
		Executor: loadtests.ConstantVUs{VUs: 2, Duration: time.Minute},
		User: loadtests.Func("get", func(vu *loadtests.VU) error {
			vu.Check("is 200", vu.Get("/", loadtests.Name("home")).Status == 200)
			return vu.Sleep(5 * time.Millisecond)
		}),
	}}}
	done := make(chan error, 1)
	go func() {
		_, err := loadtests.Run(ctx, plan, loadtests.Options{Endpoint: srv.URL, Outputs: []loadtests.Output{dash}})
		done <- err
	}()

	resp, err := http.Get("http://" + dash.Addr() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type: got %q, want text/event-stream", ct)
	}
	// Read events until two show requests and VUs running, then stop the
	// run: the stream ends with it, the last event done.
	var seen []report.DashboardEvent
	var final *report.DashboardFinal
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	named := ""
	for sc.Scan() {
		if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			named = ev
			continue
		}
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if named == "done" {
			final = new(report.DashboardFinal)
			if err := json.Unmarshal([]byte(data), final); err != nil {
				t.Fatalf("done event %q: %v", data, err)
			}
			named = ""
			continue
		}
		if final != nil {
			t.Fatalf("event %q after done", data)
		}
		var ev report.DashboardEvent
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		seen = append(seen, ev)
		live := 0
		for _, e := range seen {
			if e.Requests > 0 && e.VUs == 2 && !e.Done {
				live++
			}
		}
		if live == 2 && ctx.Err() == nil {
			cancel()
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(seen) < 3 {
		t.Fatalf("events: got %d (%+v), want two live ones and the last", len(seen), seen)
	}
	if final == nil || len(final.Names) != 1 || final.Names[0].Name != "home" || final.Names[0].Count != seen[len(seen)-1].Requests {
		t.Errorf("done event: got %+v, want the run's totals for home (%d requests)", final, seen[len(seen)-1].Requests)
	}
	var perName int64
	for _, e := range seen {
		for _, n := range e.Names {
			if n.Name != "home" || n.Count == 0 || n.P99 < n.P50 {
				t.Errorf("per name: got %+v, want home's requests with p50 <= p99", n)
			}
			perName += n.Count
		}
	}
	last := seen[len(seen)-1]
	// Every request the page was told of was counted per name; a page
	// that connected after the first tick missed those before.
	if perName == 0 || perName > last.Requests {
		t.Errorf("requests per name: %d in all, want some and at most the run's %d", perName, last.Requests)
	}
	if !last.Done || last.Requests < seen[0].Requests || last.VUsMax != 2 {
		t.Errorf("last event: got %+v, want done with the run's totals", last)
	}
	// The checks and thresholds as they stand, in every event of the run
	// once requests were made: the check passed every time; the threshold
	// on a name never requested has no samples yet, then is crossed.
	var passed int64
	for _, e := range seen {
		if e.Requests == 0 {
			continue
		}
		c := e.Checks["is 200"]
		if len(e.Checks) != 1 || c.Pass < max(passed, 1) || c.Fail != 0 {
			t.Errorf("event at %gs: checks %+v, want is 200 passed, at least %d times as before", e.Elapsed, e.Checks, max(passed, 1))
		}
		passed = c.Pass
		if len(e.Thresholds) != 2 || !e.Thresholds[0].OK || e.Thresholds[0].Text != "100.00%" ||
			e.Thresholds[1].OK || e.Thresholds[1].Reason != "no samples" {
			t.Errorf("event at %gs: thresholds %+v, want checks>0.99 ok at 100.00%%, the other without samples", e.Elapsed, e.Thresholds)
		}
	}
	if len(final.Thresholds) != 2 || final.Thresholds[1].OK {
		t.Errorf("done event: thresholds %+v, want the summary's verdicts", final.Thresholds)
	}
}
