package cli

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// FormatNumber prints a figure with as many digits as it needs, at most
// three decimals: "n/a" for NaN, "∞" for an infinity.
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.IsInf(v, 0):
		return "∞"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

// FormatDuration prints d rounded for a person: whole seconds from a
// minute up, tenths of a second from a second up, milliseconds below.
func FormatDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

// FormatClock prints elapsed time as k6's progress bars do: "07m09.0s".
func FormatClock(d time.Duration) string {
	m := int(d / time.Minute)
	return fmt.Sprintf("%02dm%04.1fs", m, (d % time.Minute).Seconds())
}
