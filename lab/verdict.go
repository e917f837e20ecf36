package lab

import (
	"fmt"
	"math"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// Purpose says which run a rule judges.
type Purpose string

// The purposes of a rule.
const (
	// Symptom rules judge the broken run: the incident must show.
	Symptom Purpose = "symptom"
	// Fix rules judge the fixed run: the incident must be gone.
	Fix Purpose = "fix"
)

// Rule is one figure measured in both runs and the bound it must meet.
type Rule struct {
	Purpose Purpose `json:"purpose"`
	Name    string  `json:"name"`
	Unit    string  `json:"unit,omitempty"`
	// Broken and Fixed are the figure in each run.
	Broken float64 `json:"broken"`
	Fixed  float64 `json:"fixed"`
	// Rule says in words what must hold, with the figure's unit.
	Rule string `json:"rule"`
	Pass bool   `json:"pass"`
}

// Verdict is a case's judgement of its two runs.
type Verdict struct {
	Rules []Rule `json:"rules"`
	// Reproduced: every symptom rule passed. Cleared: every fix rule passed.
	Reproduced bool `json:"reproduced"`
	Cleared    bool `json:"cleared"`
}

// Passed reports whether the symptom showed and the fix cleared it.
func (v Verdict) Passed() bool { return v.Reproduced && v.Cleared }

// Judge runs c's judge on two runs and sums it up.
func Judge(c Case, broken, fixed *SetupRun) Verdict {
	v := Verdict{Rules: c.Judge(broken, fixed), Reproduced: true, Cleared: true}
	for _, r := range v.Rules {
		if r.Pass {
			continue
		}
		if r.Purpose == Symptom {
			v.Reproduced = false
		} else {
			v.Cleared = false
		}
	}
	return v
}

// WithUnit prints a figure followed by its unit: "28.25%", "3.1 ms", "1.02×".
func WithUnit(v float64, unit string) string {
	switch unit {
	case "", "%", "×":
		return cli.FormatNumber(v) + unit
	default:
		return cli.FormatNumber(v) + " " + unit
	}
}

// atLeast is a symptom: the broken run's figure is at least min.
func atLeast(name, unit string, broken, fixed, min float64) Rule {
	return Rule{Purpose: Symptom, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: "broken ≥ " + WithUnit(min, unit), Pass: broken >= min}
}

// atMost is a fix: the fixed run's figure is at most max.
func atMost(name, unit string, broken, fixed, max float64) Rule {
	return Rule{Purpose: Fix, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: "fixed ≤ " + WithUnit(max, unit), Pass: fixed <= max}
}

// fixedAtLeast is a fix: the fixed run's figure is at least min.
func fixedAtLeast(name, unit string, broken, fixed, min float64) Rule {
	return Rule{Purpose: Fix, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: "fixed ≥ " + WithUnit(min, unit), Pass: fixed >= min}
}

// brokenAtMost is a symptom: the broken run's figure is at most max.
func brokenAtMost(name, unit string, broken, fixed, max float64) Rule {
	return Rule{Purpose: Symptom, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: "broken ≤ " + WithUnit(max, unit), Pass: broken <= max}
}

// times is a symptom: the broken run's figure is at least ratio times the
// fixed run's, or than floor when the fixed figure is below it (a ratio to
// nearly nothing proves nothing).
func times(name, unit string, broken, fixed, ratio, floor float64) Rule {
	base := math.Max(fixed, floor)
	return Rule{Purpose: Symptom, Name: name, Unit: unit, Broken: broken, Fixed: fixed,
		Rule: fmt.Sprintf("broken ≥ %s × max(fixed, %s)", cli.FormatNumber(ratio), WithUnit(floor, unit)),
		Pass: broken >= ratio*base}
}
