//go:build !unix

package loadtests

import "time"

// processCPU reports that the platform's CPU time is not measured: the
// saturation judgement then rests on how late iterations start, and the
// summary says the CPU is unknown.
func processCPU() (time.Duration, bool) { return 0, false }
