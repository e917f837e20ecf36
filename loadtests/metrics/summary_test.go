package metrics

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// record feeds a deterministic half-run into rec: n requests of which every
// seventh fails, checks, iterations, one error kind.
func record(rec *Recorder, n int, offset int) {
	for i := range n {
		d := time.Duration(offset+i+1) * time.Millisecond
		r := &Result{Name: "GET /api/v1/todos", Method: "GET", Duration: d, Waiting: d / 2, Sent: 100, Received: 1000, RequestID: fmt.Sprint("id-", offset+i)}
		if i%7 == 0 {
			r.Name, r.Kind, r.Status, r.Message = "DELETE /api/v1/todos/{id}", "status 404", 404, "404 Not Found"
		}
		sh := rec.Shard(i)
		sh.Request(r)
		sh.Check("is status 200", i%7 != 0)
		sh.Iteration(d, i%10 == 0)
	}
}

func TestMergeOfTwoHalvesEqualsOneRun(t *testing.T) {
	start := time.Unix(1000, 0)
	whole := NewRecorder(2, start)
	a, b := NewRecorder(2, start), NewRecorder(3, start.Add(time.Second))
	record(whole, 300, 0)
	record(whole, 200, 300)
	record(a, 300, 0)
	record(b, 200, 300)
	a.Dropped(3)
	b.Dropped(4)
	whole.Dropped(7)
	a.Tick(start.Add(time.Second), 5)
	b.Tick(start.Add(2*time.Second), 7)

	sa, sb := a.Summary(start.Add(time.Second)), b.Summary(start.Add(2*time.Second))
	// Merge what was read back from JSON, as "loadtest merge" does.
	var files []*Summary
	for _, s := range []*Summary{sa, sb} {
		var buf bytes.Buffer
		if err := s.Write(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, back)
	}
	m, err := Merge(files...)
	if err != nil {
		t.Fatal(err)
	}
	w := whole.Summary(start.Add(2 * time.Second))

	tests := []struct {
		what      string
		got, want int64
	}{
		{"runs", int64(m.Runs), 2},
		{"requests", m.Total().Count, w.Total().Count},
		{"failed", m.Total().Failed, w.Total().Failed},
		{"status 404", m.Total().Failures["status 404"], w.Total().Failures["status 404"]},
		{"bytes received", m.Total().BytesReceived, w.Total().BytesReceived},
		{"checks passed", m.ChecksTotal().Pass, w.ChecksTotal().Pass},
		{"checks failed", m.ChecksTotal().Fail, w.ChecksTotal().Fail},
		{"iterations complete", m.Iterations.Complete, w.Iterations.Complete},
		{"iterations interrupted", m.Iterations.Interrupted, w.Iterations.Interrupted},
		{"iterations dropped", m.Iterations.Dropped, w.Iterations.Dropped},
		{"error groups", int64(len(m.Errors)), int64(len(w.Errors))},
		{"errors counted", m.Errors[0].Count, w.Errors[0].Count},
		{"series points", int64(len(m.Series)), 2},
		{"series requests", m.Series[0].Requests + m.Series[1].Requests, 500},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.what, tc.got, tc.want)
		}
	}
	for _, p := range []float64{0, 50, 95, 99, 100} {
		if got, want := m.Total().Duration.Percentile(p), w.Total().Duration.Percentile(p); got != want {
			t.Errorf("p%v of the merge: got %v, want %v", p, got, want)
		}
	}
	if got, want := m.Slowest[0].Duration, 500*time.Millisecond; got != want {
		t.Errorf("slowest: got %v, want %v", got, want)
	}
	if got, want := len(m.Slowest), MaxSlowest; got != want {
		t.Errorf("slowest kept: got %d, want %d", got, want)
	}
	if !m.Start.Equal(start) || !m.End.Equal(start.Add(2*time.Second)) {
		t.Errorf("span: got %v..%v, want %v..%v", m.Start, m.End, start, start.Add(2*time.Second))
	}
}

func TestMergeRejectsOtherVersions(t *testing.T) {
	if _, err := Merge(); err == nil {
		t.Error("merge of nothing: got no error")
	}
	if _, err := Merge(&Summary{Version: 99}); err == nil {
		t.Error("merge of version 99: got no error")
	}
	if _, err := Read(bytes.NewBufferString(`{"version": 7}`)); err == nil {
		t.Error("read of version 7: got no error")
	}
	if _, err := Read(bytes.NewBufferString(`<html>`)); err == nil {
		t.Error("read of html: got no error")
	}
}

func TestNamesPastTheLimitAreFolded(t *testing.T) {
	rec := NewRecorder(1, time.Unix(0, 0))
	for i := range MaxNames + 50 {
		rec.Shard(0).Request(&Result{Name: fmt.Sprintf("GET /todos/%d", i), Duration: time.Millisecond})
	}
	s := rec.Summary(time.Unix(1, 0))
	if got, want := len(s.Requests), MaxNames+1; got != want {
		t.Errorf("names: got %d, want %d", got, want)
	}
	if got, want := s.Requests[OtherName].Count, int64(50); got != want {
		t.Errorf("folded requests: got %d, want %d", got, want)
	}
}

// A merged run was saturated when one of its shards was: the verdict, the
// reasons and the worst figures survive, counts add up, and summary.json
// carries them.
func TestMergeKeepsASaturatedGenerator(t *testing.T) {
	start := time.Unix(1000, 0)
	a := NewRecorder(1, start).Summary(start.Add(time.Second))
	b := NewRecorder(1, start).Summary(start.Add(time.Second))
	a.Generator = Generator{Cores: 2, CPU: 0.4, LateIterations: 1, MaxLate: 150 * time.Millisecond, Saturated: true, Reasons: []string{"late"},
		DroppedSamples: map[string]int64{"jsonl": 5}}
	b.Generator = Generator{Cores: 4, CPU: 0.97, Wait: 30 * time.Millisecond, LateIterations: 2, MaxLate: 120 * time.Millisecond, Saturated: true, Reasons: []string{"cpu", "late"},
		DroppedSamples: map[string]int64{"jsonl": 1}}
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	b2, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Merge(a, b2)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Generator
	want := Generator{Cores: 4, CPU: 0.97, Wait: 30 * time.Millisecond, LateIterations: 3, MaxLate: 150 * time.Millisecond,
		DroppedSamples: map[string]int64{"jsonl": 6}, Saturated: true, Reasons: []string{"late", "cpu"}}
	if fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("merged generator: got %+v, want %+v", g, want)
	}
	clean, _ := Merge(NewRecorder(1, start).Summary(start), NewRecorder(1, start).Summary(start))
	if clean.Generator.Saturated {
		t.Error("two runs that kept up merge into a saturated one")
	}
}

// Live, the run so far, judges thresholds as the summary at the same
// moment does, and Checks counts as it does.
func TestLiveIsTheSummarySoFar(t *testing.T) {
	start := time.Date(2026, 4, 26, 10, 0, 0, 0, time.UTC)
	rec := NewRecorder(4, start)
	for i := range 100 {
		sh := rec.Shard(i)
		r := &Result{Name: "GET /a", Status: 200, Duration: time.Duration(i+1) * time.Millisecond, Sent: 10, Received: 100}
		if i%10 == 0 {
			r.Name, r.Kind, r.Status = "GET /b", "status 503", 503
		}
		sh.Request(r)
		sh.CheckSeen("is 200", r.Status == 200, r.Name, "503")
		sh.Iteration(time.Duration(i)*time.Millisecond, i%25 == 0)
	}
	rec.Dropped(3)
	now := start.Add(10 * time.Second)
	live := rec.Live(now)
	rec.Tick(now, 0)
	sum := rec.Summary(now)
	ts, err := ParseThresholds([]string{"checks>0.95", "checks{name=is 200}>0.8", "http_req_failed<0.2",
		"http_req_duration{p95}<90ms", "http_req_duration{name=GET /b}{max}<100ms", "http_reqs{rate}>5",
		"iterations==96", "interrupted_iterations==4", "dropped_iterations==3", "data_received>9000", "iteration_duration{avg}<60ms"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := EvaluateAll(live, ts)
	want, _ := EvaluateAll(sum, ts)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("live thresholds:\n got %+v\nwant %+v", got, want)
	}
	if c := rec.Checks()["is 200"]; c.Pass != 90 || c.Fail != 10 {
		t.Errorf("checks: got %+v, want 90 passed, 10 failed", c)
	}
	if c := live.Checks["is 200"]; c.Pass != 90 || c.Fail != 10 {
		t.Errorf("live checks: got %+v, want 90 passed, 10 failed", c)
	}
}

// BenchmarkRecorderLive is what judging thresholds live costs the run
// once a second: the run so far from 16 shards of 10 request names.
func BenchmarkRecorderLive(b *testing.B) {
	start := time.Now()
	rec := NewRecorder(16, start)
	for i := range 100_000 {
		sh := rec.Shard(i)
		sh.Request(&Result{Name: fmt.Sprintf("GET /%d", i%10), Status: 200, Duration: time.Duration(i%5000+100) * time.Microsecond})
		sh.Check("is 200", true)
		sh.Iteration(time.Millisecond, false)
	}
	ts, _ := ParseThresholds([]string{"checks>0.99", "http_req_duration{p95}<500ms", "http_req_failed<0.01"})
	b.ReportAllocs()
	for b.Loop() {
		EvaluateAll(rec.Live(time.Now()), ts)
	}
}
