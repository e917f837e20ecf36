package loadtests

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateNamesTheProblem(t *testing.T) {
	user := Func("x", func(*VU) error { return nil })
	ok := Scenario{Name: "s", Executor: ConstantVUs{VUs: 1, Duration: time.Second}, User: user}
	cases := []struct {
		name string
		plan Plan
		opts Options
		want string
	}{
		{"no scenarios", Plan{Name: "p"}, Options{Endpoint: "http://127.0.0.1:1"}, "no scenarios"},
		{"no endpoint", Plan{Scenarios: []Scenario{ok}}, Options{}, `endpoint ""`},
		{"endpoint without scheme", Plan{Scenarios: []Scenario{ok}}, Options{Endpoint: "127.0.0.1:6400"}, "want a URL"},
		{"two scenarios with one name", Plan{Scenarios: []Scenario{ok, ok}}, Options{Endpoint: "http://h"}, `two scenarios named "s"`},
		{"no executor", Plan{Scenarios: []Scenario{{Name: "s", User: user}}}, Options{Endpoint: "http://h"}, "no executor"},
		{"zero VUs", Plan{Scenarios: []Scenario{{Name: "s", User: user, Executor: ConstantVUs{Duration: time.Second}}}}, Options{Endpoint: "http://h"}, "VUs must be positive"},
		{"no stages", Plan{Scenarios: []Scenario{{Name: "s", User: user, Executor: RampingVUs{}}}}, Options{Endpoint: "http://h"}, "no stages"},
		{"no rate", Plan{Scenarios: []Scenario{{Name: "s", User: user, Executor: ConstantArrivalRate{Duration: time.Second, PreAllocatedVUs: 1}}}}, Options{Endpoint: "http://h"}, "rate must be positive"},
		{"no tasks", Plan{Scenarios: []Scenario{{Name: "s", Executor: ok.Executor}}}, Options{Endpoint: "http://h"}, "no tasks"},
		{"bad threshold", Plan{Scenarios: []Scenario{ok}, Thresholds: []string{"checks>>1"}}, Options{Endpoint: "http://h"}, "checks>>1"},
		{"negative time scale", Plan{Scenarios: []Scenario{ok}}, Options{Endpoint: "http://h", TimeScale: -2}, "time scale -2"},
	}
	for _, tc := range cases {
		err := Validate(tc.plan, tc.opts)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an ErrInvalid naming %q", tc.name, err, tc.want)
		}
	}
	if err := Validate(Plan{Scenarios: []Scenario{ok}}, Options{Endpoint: "http://127.0.0.1:6400/"}); err != nil {
		t.Errorf("a valid plan: got %v", err)
	}
}
