package metrics

import (
	"strings"
	"testing"
	"time"
)

func thresholdSummary() *Summary {
	rec := NewRecorder(1, time.Unix(0, 0))
	sh := rec.Shard(0)
	for i := 1; i <= 100; i++ {
		r := &Result{Name: "GET /api/v1/todos", Duration: time.Duration(i) * time.Millisecond}
		if i > 98 {
			r.Kind = "timeout"
		}
		sh.Request(r)
		sh.Check("is status 200", i <= 99)
		sh.Iteration(time.Second, false)
	}
	sh.Request(&Result{Name: "DELETE /api/v1/todos/{id}", Duration: 900 * time.Millisecond})
	rec.Dropped(2)
	return rec.Summary(time.Unix(10, 0))
}

func TestThresholds(t *testing.T) {
	s := thresholdSummary()
	cases := []struct {
		expr string
		ok   bool
	}{
		{"checks>0.98", true},                                           // 99 of 100 passed
		{"checks>0.99", false},                                          // exactly 0.99 is not above
		{"checks>=99%", true},                                           // percent form
		{"checks{name=is status 200}==0.99", true},                      // one check by name
		{"checks{name=is status 201}>0", false},                         // a check that never ran
		{"http_req_failed<0.01", false},                                 // 2 of 101 failed
		{"http_req_failed{name=DELETE /api/v1/todos/{id}}==0", true},    // name with braces
		{"http_req_duration{p95}<500ms", true},                          // p95 is 96ms
		{"http_req_duration{max}<500", false},                           // the DELETE took 900ms
		{"http_req_duration{name=GET /api/v1/todos}{max}<=101ms", true}, // max is 100ms to 0.1%
		{"http_req_duration{p(99.9)}<1s", true},
		{"http_reqs==101", true},
		{"http_reqs{rate}>10", true}, // 101 over 10 s
		{"iterations>=100", true},
		{"dropped_iterations==0", false},
		{"iteration_duration{avg}<2s", true},
		{"generator_saturated==0", true}, // the generator kept up
	}
	for _, tc := range cases {
		th, err := ParseThreshold(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if got := th.Evaluate(s); got.OK != tc.ok {
			t.Errorf("%s: got ok=%v (observed %v %s), want ok=%v", tc.expr, got.OK, got.Observed, got.Reason, tc.ok)
		}
	}
	s.Generator.Saturated = true
	th, _ := ParseThreshold("generator_saturated==0")
	if got := th.Evaluate(s); got.OK || got.Observed != 1 {
		t.Errorf("generator_saturated==0 on a saturated run: got %+v, want crossed with 1 observed", got)
	}
}

func TestThresholdParseErrors(t *testing.T) {
	cases := []struct {
		expr, want string
	}{
		{"latency<5", "unknown metric"},
		{"http_req_duration<500ms", "needs a statistic"},
		{"http_req_duration{p95}", "want one of"},
		{"http_req_duration{p101}<5", "unknown statistic"},
		{"http_req_duration{p95}<fast", "want a duration"},
		{"checks{p95}>0.9", "is a rate"},
		{"checks{name=x>0.9", "unbalanced"},
		{"iterations{name=x}>1", "no names"},
		{"http_reqs{p95}>1", "{count} or {rate}"},
		{"generator_saturated{rate}==0", "0 or 1"},
	}
	for _, tc := range cases {
		_, err := ParseThreshold(tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.expr, err, tc.want)
		}
	}
}

// An observed value prints with the threshold's unit.
func TestThresholdObservedText(t *testing.T) {
	s := thresholdSummary()
	cases := []struct{ expr, want string }{
		{"http_req_duration{p95}<500ms", "96.06ms"}, // p95 of 1..100 ms, to the histogram's precision
		{"checks>0.99", "99.00%"},
		{"http_req_failed<0.01", "1.98%"}, // 2 of 101
		{"http_reqs==101", "101"},
		{"http_reqs{rate}>10", "10.1/s"},
		{"checks{name=is status 201}>0", "no samples"},
	}
	for _, tc := range cases {
		th, err := ParseThreshold(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := th.Evaluate(s).ObservedText(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.expr, got, tc.want)
		}
	}
}
