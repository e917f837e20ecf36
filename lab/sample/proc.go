package sample

import (
	"github.com/prometheus/procfs"
)

// procStat is what /proc tells of one process.
type procStat struct {
	CPUSeconds float64 // user + system
	RSSBytes   int64
	Threads    int
	FDs        int
}

// readProc reads /proc/PID/stat and counts /proc/PID/fd through procfs.
// It returns an error when the process is gone or /proc cannot be read (on
// systems without it, such as macOS and Windows).
func readProc(pid int) (procStat, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return procStat{}, err
	}
	st, err := p.Stat()
	if err != nil {
		return procStat{}, err
	}
	out := procStat{CPUSeconds: st.CPUTime(), RSSBytes: int64(st.ResidentMemory()), Threads: st.NumThreads}
	if n, err := p.FileDescriptorsLen(); err == nil {
		out.FDs = n
	}
	return out, nil
}
