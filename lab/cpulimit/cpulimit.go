// Package cpulimit holds a process to part of the machine, as a small cloud
// task is: a CPU affinity (taskset) and a CFS bandwidth quota in a cgroup of
// its own. Both are Linux's; elsewhere Apply says what it did not apply.
package cpulimit

import (
	"fmt"
	"strings"
)

// Limit holds an API process to part of the machine, as a small cloud
// task is: an affinity (taskset) and a CFS quota in a cgroup of its own.
type Limit struct {
	// CPUs is a taskset CPU list, such as "0"; empty leaves the affinity alone.
	CPUs string
	// Quota is a CFS bandwidth quota in CPUs (1 is one CPU's time each
	// period, 0.5 half of one); 0 sets none.
	Quota float64
}

// String describes the limit as a person would.
func (l *Limit) String() string {
	if l == nil {
		return "all CPUs"
	}
	var parts []string
	if l.CPUs != "" {
		parts = append(parts, "taskset -c "+l.CPUs)
	}
	if l.Quota > 0 {
		parts = append(parts, fmt.Sprintf("CFS quota %g CPU", l.Quota))
	}
	return strings.Join(parts, " + ")
}

// notApplied says that nothing of l is applied on goos, which has neither
// taskset nor cgroups; "all CPUs" when l asks for nothing.
func (l *Limit) notApplied(goos string) string {
	if l == nil {
		return "all CPUs"
	}
	return fmt.Sprintf("all CPUs (not applied on %s: %s needs Linux's taskset and cgroups)", goos, l)
}
