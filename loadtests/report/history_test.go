package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// A long run's dashboard keeps at most MaxHistory events and the latest,
// evenly spread over the whole run: a day of events (one a second) ends
// with between MaxHistory/2 and MaxHistory, from the first second to the
// last.
func TestDashboardHistoryIsBounded(t *testing.T) {
	d, err := NewDashboard("")
	if err != nil {
		t.Fatal(err)
	}
	const day = 24 * 60 * 60
	most := 0
	for i := range day {
		d.Progress(metrics.Progress{Elapsed: time.Duration(i) * time.Second, Requests: int64(i)})
		most = max(most, d.Kept())
	}
	if most > MaxHistory+1 {
		t.Errorf("the dashboard held %d events at most, want at most MaxHistory+1 = %d", most, MaxHistory+1)
	}
	if d.Events() != day {
		t.Errorf("events: got %d, want %d", d.Events(), day)
	}
	var secs []int
	for _, b := range d.history.events() {
		var ev DashboardEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		secs = append(secs, int(ev.Elapsed))
	}
	if n := len(secs); n < MaxHistory/2 || n > MaxHistory+1 {
		t.Fatalf("kept %d events, want %d to %d", n, MaxHistory/2, MaxHistory+1)
	}
	if secs[0] != 0 || secs[len(secs)-1] != day-1 {
		t.Errorf("kept from second %d to %d, want from 0 to the last, %d", secs[0], secs[len(secs)-1], day-1)
	}
	kept := secs
	if d.history.tail != nil {
		kept = secs[:len(secs)-1]
	}
	stride := kept[1] - kept[0]
	for i := 1; i < len(kept); i++ {
		if kept[i]-kept[i-1] != stride {
			t.Fatalf("kept seconds %d and %d, %d apart, want evenly %d apart", kept[i-1], kept[i], kept[i]-kept[i-1], stride)
		}
	}
	if want := 32; stride != want { // 86,400 s over at most 3,600 points: one in 32 (2,700 points)
		t.Errorf("stride: got %d, want %d", stride, want)
	}
}

// The page bounds its charts the same way: given three times MaxHistory
// events, each chart holds at most MaxHistory points and the latest.
func TestPageBoundsItsPointsInChromium(t *testing.T) {
	bin := chromium(t)
	var events [][]byte
	for i := range 3 * MaxHistory {
		events = append(events, fmt.Appendf(nil, `{"elapsed_s":%d,"vus":1,"vus_max":1,"rps":%d,"p50_ms":1,"p95_ms":2,"p99_ms":3,"requests":%d,"failed":0,"complete":0,"interrupted":0,"dropped":0,"saturated":false,"done":false}`, i+1, i%7, i))
	}
	page, err := savedPage(events, []byte(`{"names":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "long.html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(headless(t, bin, "--dump-dom", "file://"+path))
	if !strings.Contains(dom, fmt.Sprintf(`data-events="%d"`, len(events))) {
		t.Fatalf("the page did not take the %d events", len(events))
	}
	m := regexp.MustCompile(`data-chart="rps" data-points="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("no requests/s chart")
	}
	if n, _ := strconv.Atoi(m[1]); n > MaxHistory+1 || n < MaxHistory/2 {
		t.Errorf("the requests/s chart holds %d points of %d events, want %d to %d", n, len(events), MaxHistory/2, MaxHistory+1)
	}
}
