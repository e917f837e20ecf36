//go:build !linux

package cpulimit

import (
	"fmt"
	"runtime"
)

// Apply cannot limit a process's CPU outside Linux (no taskset, no
// cgroups): it applies nothing and says so, for the output and the report.
func (l *Limit) Apply(pid int) (applied string, release func(), err error) {
	release = func() {}
	if l == nil {
		return "all CPUs", release, nil
	}
	return fmt.Sprintf("all CPUs (not applied on %s: %s needs Linux's taskset and cgroups)", runtime.GOOS, l), release, nil
}
