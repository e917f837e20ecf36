package lab

import (
	"fmt"
	"math"
	"strconv"
)

// Kind says which run a check judges.
type Kind string

// The kinds of check.
const (
	// Symptom checks judge the broken run: the incident must show.
	Symptom Kind = "symptom"
	// Fix checks judge the fixed run: the incident must be gone.
	Fix Kind = "fix"
)

// Check is one figure measured in both runs and the rule it must meet.
type Check struct {
	Kind Kind   `json:"kind"`
	Name string `json:"name"`
	Unit string `json:"unit,omitempty"`
	// Broken and Fixed are the figure in each run.
	Broken float64 `json:"broken"`
	Fixed  float64 `json:"fixed"`
	// Rule says in words what must hold.
	Rule string `json:"rule"`
	Pass bool   `json:"pass"`
}

// Verdict is a case's judgement of its two runs.
type Verdict struct {
	Checks []Check `json:"checks"`
	// Reproduced: every symptom check passed. Cleared: every fix check passed.
	Reproduced bool `json:"reproduced"`
	Cleared    bool `json:"cleared"`
}

// Passed reports whether the symptom showed and the fix cleared it.
func (v Verdict) Passed() bool { return v.Reproduced && v.Cleared }

// judge runs c's judge on two runs and sums it up.
func judge(c Case, broken, fixed *Run) Verdict {
	v := Verdict{Checks: c.Judge(broken, fixed), Reproduced: true, Cleared: true}
	for _, ch := range v.Checks {
		if ch.Pass {
			continue
		}
		if ch.Kind == Symptom {
			v.Reproduced = false
		} else {
			v.Cleared = false
		}
	}
	return v
}

// atLeast is a symptom: the broken run's figure is at least min.
func atLeast(name, unit string, broken, fixed, min float64) Check {
	return Check{Kind: Symptom, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: "broken ≥ " + fmtNum(min), Pass: broken >= min}
}

// atMost is a fix: the fixed run's figure is at most max.
func atMost(name, unit string, broken, fixed, max float64) Check {
	return Check{Kind: Fix, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: "fixed ≤ " + fmtNum(max), Pass: fixed <= max}
}

// fixedAtLeast is a fix: the fixed run's figure is at least min.
func fixedAtLeast(name, unit string, broken, fixed, min float64) Check {
	return Check{Kind: Fix, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: "fixed ≥ " + fmtNum(min), Pass: fixed >= min}
}

// brokenAtMost is a symptom: the broken run's figure is at most max.
func brokenAtMost(name, unit string, broken, fixed, max float64) Check {
	return Check{Kind: Symptom, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: "broken ≤ " + fmtNum(max), Pass: broken <= max}
}

// times is a symptom: the broken run's figure is at least ratio times the
// fixed run's, or than floor when the fixed figure is below it (a ratio to
// nearly nothing proves nothing).
func times(name, unit string, broken, fixed, ratio, floor float64) Check {
	base := math.Max(fixed, floor)
	return Check{Kind: Symptom, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: fmt.Sprintf("broken ≥ %s × max(fixed, %s)", fmtNum(ratio), fmtNum(floor)),
		Pass: broken >= ratio*base}
}

// fmtNum prints a figure with as many digits as it needs, at most three decimals.
func fmtNum(v float64) string {
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
