package sample

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat: 100
// on every Linux architecture Go supports.
const clockTicks = 100

// procStat is what /proc tells of one process.
type procStat struct {
	CPUSeconds float64 // user + system
	RSSBytes   int64
	Threads    int
	FDs        int
}

// readProc reads /proc/PID/stat and counts /proc/PID/fd.
func readProc(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	st, err := parseStat(string(b))
	if err != nil {
		return st, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		st.FDs = len(fds)
	}
	return st, nil
}

// parseStat reads utime, stime, num_threads and rss out of a /proc/PID/stat
// line. The command name (field 2) may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func parseStat(line string) (procStat, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("no command name in %q", line)
	}
	// fields[0] is field 3 (state).
	fields := strings.Fields(line[i+1:])
	if len(fields) < 22 {
		return procStat{}, fmt.Errorf("%d fields after the command name, want at least 22", len(fields))
	}
	num := func(field int) (int64, error) { return strconv.ParseInt(fields[field-3], 10, 64) }
	utime, err1 := num(14)
	stime, err2 := num(15)
	threads, err3 := num(20)
	rss, err4 := num(24)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return procStat{}, err
		}
	}
	return procStat{
		CPUSeconds: float64(utime+stime) / clockTicks,
		RSSBytes:   rss * int64(os.Getpagesize()),
		Threads:    int(threads),
	}, nil
}
