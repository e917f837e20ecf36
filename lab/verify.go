package lab

import (
	"context"
	"fmt"
	"strings"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// MinLoadShare is the share of the case's load a student's run must have
// sent for its figures to count: requests against the shipped broken run's,
// VUs against the plan's, connections against the check's.
const MinLoadShare = 0.95

// Check is one rule of a verification, judged on the student's run (or, for
// a symptom rule, on the shipped broken run it is compared with).
type Check struct {
	// Run is the run the figure comes from: "broken" or "yours".
	Run  string `json:"run"`
	Name string `json:"name"`
	// Measured is the figure, Unit its unit, Rule what it had to be.
	Measured float64 `json:"measured"`
	Unit     string  `json:"unit,omitempty"`
	Rule     string  `json:"rule"`
	Pass     bool    `json:"pass"`
	// Hint says what to look at; set on a failed check.
	Hint string `json:"hint,omitempty"`
	// incident marks a figure of the broken (or handout's) run alone: when
	// it fails, that run did not show the incident.
	incident bool
}

// Verification is the judgement of a student's settings.
type Verification struct {
	Case     string            `json:"case"`
	Settings map[string]string `json:"settings"`
	// Plan is the directory of the student's plan, for a plan exercise.
	Plan   string  `json:"plan,omitempty"`
	Checks []Check `json:"checks"`
	Passed int     `json:"passed"`
	Failed int     `json:"failed"`
}

// OK reports whether every check passed.
func (v *Verification) OK() bool { return v.Failed == 0 && v.Passed > 0 }

// Verifiable reports whether c has settings a student can change; a case
// whose fix lies in its load plan has none.
func (c Case) Verifiable() bool { return len(c.Exercise.Keys) > 0 }

// Verify runs c's shipped broken setup, then the student's settings, and
// judges the student's run (see JudgeStudent). It returns an error when a
// run could not be made.
func (r *Runner) Verify(ctx context.Context, c Case, settings map[string]string) (*Verification, error) {
	if !c.Verifiable() {
		return nil, fmt.Errorf("%s: the fix of this exercise is in its load plan, not in settings", c.Name)
	}
	broken, mine := c.Broken, c.StudentSetup(settings)
	if r.Quick && c.Quick != nil {
		broken, mine = c.Quick(broken), c.Quick(mine)
	}
	r.printf("%s: %s\n", c.Name, c.Story)
	kept, err := r.brokenRun(c.Name, "broken", broken, func() (*PlanRun, error) {
		b, err := r.runSetup(ctx, c.Name, "broken", broken, "")
		return &PlanRun{SetupRun: b}, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s, broken run: %w", c.Name, err)
	}
	b := kept.SetupRun
	m, err := r.runSetup(ctx, c.Name, "yours", sizedAs(mine, b), "")
	if err != nil {
		return nil, fmt.Errorf("%s, your run: %w", c.Name, err)
	}
	v := JudgeStudent(c, settings, b, m)
	r.forgetKeptRun(c.Name, "broken", v)
	return v, nil
}

// JudgeStudent judges mine, the run of settings, as c's fixed run is
// judged against the broken run b, and adds the rules that stop gaming:
// only the exercise's settings changed, and the load was the case's load.
func JudgeStudent(c Case, settings map[string]string, b, mine *SetupRun) *Verification {
	v := &Verification{Case: c.Name, Settings: settings}
	add := func(ch Check) {
		if !ch.Pass && ch.Hint == "" {
			ch.Hint = c.Exercise.Hints[ch.Name]
		}
		v.Checks = append(v.Checks, ch)
	}
	add(settingsCheck(c, settings))
	for _, ch := range loadChecks(b, mine, c.Exercise.Refused) {
		add(ch)
	}
	for _, r := range c.Judge(b, mine) {
		ch := Check{Run: "yours", Name: r.Name, Measured: r.Fixed, Unit: r.Unit,
			Rule: strings.Replace(r.Rule, "fixed", "yours", -1), Pass: r.Pass}
		if r.Purpose == Symptom {
			// The broken run must show the incident, or comparing with it
			// proves nothing; a ratio to the broken run judges yours too.
			ch.Run, ch.Measured = "broken", r.Broken
			if strings.Contains(r.Rule, "fixed") {
				ch.Rule += " (yours " + WithUnit(r.Fixed, r.Unit) + ")"
			} else {
				ch.Hint = "the shipped broken run did not show the incident: the machine may be too busy; run again"
				ch.incident = true
			}
		}
		add(ch)
	}
	for _, ch := range v.Checks {
		if ch.Pass {
			v.Passed++
		} else {
			v.Failed++
		}
	}
	return v
}

// settingsCheck fails when settings change a key the exercise is not about.
func settingsCheck(c Case, settings map[string]string) Check {
	changed := c.ChangedKeys(settings)
	ch := Check{Run: "yours", Name: "settings outside the exercise changed", Measured: float64(len(changed)),
		Rule: "yours = 0 (only " + strings.Join(c.Exercise.Keys, ", ") + " may change)", Pass: len(changed) == 0}
	if !ch.Pass {
		ch.Hint = "put back " + strings.Join(changed, ", ") + " as `lab init " + c.Name + "` wrote them: " +
			"a fix that works by changing the exercise (logging off, a smaller load, other limits) does not count"
	}
	return ch
}

// loadChecks judge whether mine carried the case's load: for a plan, its
// requests against the broken run's (less those it was refused, the
// failures named in refused), its VUs against the plan's, no dropped
// iteration and a generator that kept up; for the connection check, the
// connections it tried.
func loadChecks(b, mine *SetupRun, refused []string) []Check {
	pct := func(n, of float64) float64 {
		if of == 0 {
			return 0
		}
		return 100 * n / of
	}
	bound := "yours ≥ " + WithUnit(100*MinLoadShare, "%")
	if mine.Conn != nil || b.Conn != nil {
		tried, planned := 0.0, 0.0
		if mine.Conn != nil {
			tried, planned = float64(mine.Conn.Final.Total-mine.Conn.Final.NotInitiated), float64(mine.Conn.Connections)
		}
		share := pct(tried, planned)
		return []Check{{Run: "yours", Name: "connections tried, of the check's", Measured: share, Unit: "%", Rule: bound,
			Pass: share >= 100*MinLoadShare, Hint: "the connection check did not open its connections: the load was not the case's"}}
	}
	var total, broken, vus, planned, dropped float64
	saturated := false
	reasons := ""
	if mine.Summary != nil {
		t, _ := mine.Requests()
		total = float64(t)
		vus = float64(mine.Summary.VUsMax)
		for _, s := range mine.Summary.Scenarios {
			planned += float64(s.MaxVUs)
		}
		// A merged summary (one run per API instance) lists each scenario once.
		planned *= float64(max(mine.Summary.Runs, 1))
		dropped = float64(mine.Summary.Iterations.Dropped)
		saturated = mine.Summary.Generator.Saturated
		reasons = strings.Join(mine.Summary.Generator.Reasons, "; ")
	}
	requestsBound := bound
	if b.Summary != nil {
		t := b.Summary.Total()
		n := t.Count
		for _, kind := range refused {
			n -= t.Failures[kind]
		}
		broken = float64(max(n, 0))
		if len(refused) > 0 {
			requestsBound += " of " + cli.FormatNumber(broken) + " (the broken run's, less its " + strings.Join(refused, " and ") + ")"
		}
	}
	sat := 0.0
	if saturated {
		sat = 1
	}
	checks := []Check{
		{Run: "yours", Name: "requests sent, of the shipped broken run's", Measured: pct(total, broken), Unit: "%", Rule: requestsBound,
			Pass: broken > 0 && total >= MinLoadShare*broken,
			Hint: "your run sent fewer requests than the broken one, although its users wait on the server as the broken " +
				"run's do: a fix must serve the same load faster, not shrink it or serve it slower"},
		{Run: "yours", Name: "VUs started, of the plan's", Measured: pct(vus, planned), Unit: "%", Rule: bound,
			Pass: planned > 0 && vus >= MinLoadShare*planned, Hint: "the plan's users did not all start: the load was not the case's"},
		{Run: "yours", Name: "iterations dropped", Measured: dropped, Rule: "yours = 0", Pass: dropped == 0,
			Hint: "the generator could not start every iteration on time: the load was not the case's; run on a quieter machine"},
		{Run: "yours", Name: "load generator saturated", Measured: sat, Rule: "yours = 0 (no)", Pass: !saturated,
			Hint: "the load generator was the bottleneck (" + reasons + "), so the figures are its, not the server's; run on a quieter machine"},
	}
	return checks
}

// FormatCheck prints a check on one line, with its hint on the next when it failed.
func FormatCheck(ch Check) string {
	status := "PASS"
	if !ch.Pass {
		status = "FAIL"
	}
	s := fmt.Sprintf("%s %-6s %-45s %12s   %s", status, ch.Run, ch.Name, WithUnit(ch.Measured, ch.Unit), ch.Rule)
	if !ch.Pass && ch.Hint != "" {
		s += "\n       hint: " + ch.Hint
	}
	return s
}

// ClosingLine is the verification's last line: "N passed, N failed".
func (v *Verification) ClosingLine() string {
	return fmt.Sprintf("%d passed, %d failed", v.Passed, v.Failed)
}
