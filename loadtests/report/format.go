package report

import (
	"fmt"
	"math"
	"time"
)

// fmtDur prints a duration as k6 does: 812.34µs, 12.5ms, 1.23s, 1m3s.
func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// fmtBytes prints a byte count with SI units, as k6: 166 MB.
func fmtBytes(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

func percent(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// fmtRate prints a per-second rate with a few significant digits.
func fmtRate(r float64) string {
	switch {
	case r == 0:
		return "0/s"
	case r >= 100:
		return fmt.Sprintf("%.0f/s", r)
	case r >= 1:
		return fmt.Sprintf("%.2f/s", r)
	}
	return fmt.Sprintf("%.*f/s", int(math.Max(2, -math.Floor(math.Log10(r))+2)), r)
}
