package cpulimit

import (
	"strings"
	"testing"
)

// Where the platform has neither taskset nor cgroups, the lab says what it
// did not apply (the progress line and the report's "API CPU limit" row
// print this string).
func TestNotAppliedSaysWhat(t *testing.T) {
	l := &Limit{CPUs: "0", Quota: 0.25}
	got := l.notApplied("darwin")
	want := "all CPUs (not applied on darwin: taskset -c 0 + CFS quota 0.25 CPU needs Linux's taskset and cgroups)"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (*Limit)(nil).notApplied("windows"); got != "all CPUs" {
		t.Errorf("no limit: got %q, want all CPUs", got)
	}
	if !strings.Contains(l.String(), "taskset -c 0") {
		t.Errorf("String: got %q", l.String())
	}
}
