//go:build !linux

package cpulimit

import (
	"os/exec"
	"runtime"
)

// Prepare cannot limit a process's CPU outside Linux (no taskset, no
// cgroups): it leaves cmd as it is and says what it did not apply, for the
// output and the report.
func (l *Limit) Prepare(cmd *exec.Cmd) (applied string, release func(), err error) {
	return l.notApplied(runtime.GOOS), func() {}, nil
}
