package lab

import (
	"fmt"
	"strings"

	"github.com/taskoverflow-lab/taskoverflow/lab/cpulimit"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// plannersPlanExercise is the practical's script as a student fixes it:
// the handout's plan (exercises/planners-and-studiers) with its two bugs.
// Both plans run against the case's fixed API, with the machine's CPU and
// the table's 2000 todos, so that only the script is judged: the CPU part
// of the story is the lab run's (lab run planners-and-studiers) and the
// workbook's. The quick sizes are smaller than the case's quick ones
// (1.5% of the handout's time, 4.5% of its users, the same ratio of users
// to time as the case's sizes): the bugs show on every planner iteration,
// however few.
func plannersPlanExercise() PlanExercise {
	c := plannersAndStudiers()
	api := c.Fixed
	api.Summary = "the fixed API on every CPU, 2000 todos in the table"
	return PlanExercise{
		Name:       c.Name,
		Source:     c.Source,
		Story:      "the handout's k6 script as a Go plan, with its two bugs, against an API that serves it well: fix the script",
		API:        api,
		Flags:      []string{"--time-scale", "0.1", "--vus-scale", "0.3", "--timeout", "6s"},
		QuickFlags: []string{"--time-scale", "0.015", "--vus-scale", "0.045", "--timeout", "3s"},
		Judge:      judgePlannersPlan,
		Hints: map[string]string{
			"checks failed": "a check still fails: the summary's checks say which one and what it saw",
			"POST /api/v1/todos checks failed": "the POST's check fails on what the API answers: a POST that creates " +
				"answers 201 Created (docs/api.md), so the check expects the wrong status",
			"DELETE /api/v1/todos/undefined per planner POST": "the planners still delete /api/v1/todos/undefined: the " +
				"handout reads the id from the response object (request.id); it is in the response's JSON body (r.JSON)",
			"todos left behind per planner POST": "the planners' todos are still there after the run: each DELETE must " +
				"name the todo its POST created",
		},
	}
}

func judgePlannersPlan(p *PlanRuns) []Check {
	h, y := p.Handout, p.Yours
	posts := func(r *PlanRun) float64 {
		if r.Summary == nil {
			return 0
		}
		if s, ok := r.Summary.Requests["POST /api/v1/todos"]; ok {
			return float64(s.Count)
		}
		return 0
	}
	per := func(n float64, r *PlanRun) float64 {
		if d := posts(r); d > 0 {
			return n / d
		}
		return n
	}
	undefined := func(r *PlanRun) float64 {
		return per(float64(r.LogLines(`"msg":"request finished"`, `"url":"/api/v1/todos/undefined"`)), r)
	}
	left := func(r *PlanRun) float64 { return per(r.Finding(scenarios.LeftBehind), r) }
	postFailed := func(r *PlanRun) float64 {
		n := 0.0
		if r.Summary != nil {
			for _, c := range r.Summary.Checks {
				for _, f := range c.Failures {
					if f.Request == "POST /api/v1/todos" {
						n += float64(f.Count)
					}
				}
			}
		}
		return n
	}
	checks := []Check{
		{Run: "handout", Name: "checks failed", Measured: 100 * h.CheckFailRate(), Unit: "%", Rule: "handout ≥ 3%",
			Pass: h.CheckFailRate() >= 0.03, Hint: "the handout's plan did not show its bugs: run again"},
		{Run: "handout", Name: "DELETE /api/v1/todos/undefined per planner POST", Measured: undefined(h), Rule: "handout ≥ 0.9",
			Pass: undefined(h) >= 0.9, Hint: "the handout's plan did not show its bugs: run again"},
		{Run: "yours", Name: "checks failed", Measured: 100 * y.CheckFailRate(), Unit: "%", Rule: "yours = 0%",
			Pass: y.CheckFailRate() == 0 && y.Summary != nil && y.Summary.ChecksTotal().Pass > 0},
		{Run: "yours", Name: "POST /api/v1/todos checks failed", Measured: postFailed(y), Rule: "yours = 0",
			Pass: postFailed(y) == 0 && posts(y) > 0},
		{Run: "yours", Name: "DELETE /api/v1/todos/undefined per planner POST", Measured: undefined(y), Rule: "yours = 0",
			Pass: undefined(y) == 0 && posts(y) > 0},
		{Run: "yours", Name: "todos left behind per planner POST", Measured: left(y), Rule: "yours = 0",
			Pass: left(y) == 0 && posts(y) > 0},
		sameScenarios(h, y),
	}
	return append(checks, planLoadChecks(h, y)...)
}

// generatorTarget is the request rate the generator-bottleneck plan is
// meant to offer, per second, over generatorSeconds.
const (
	generatorTarget  = 200
	generatorSeconds = 10
)

// generatorBottleneck is the course's habit of thousands of closed-model
// VUs from one small machine: the handout's plan runs 2000 VUs without
// think time to offer 200 requests per second, from a process held to a
// fifth of one CPU. The generator saturates and its figures are its own
// limits, not the server's. The student's plan must offer the same rate
// (an arrival-rate executor, or fewer VUs paced to it) without
// saturating. The quick sizes halve the time and the VUs together, which
// keeps the rate per second.
func generatorBottleneck() PlanExercise {
	return PlanExercise{
		Name:   "generator-bottleneck",
		Source: "UQ CSSE6400's load-testing practical, whose k6 scripts run thousands of closed-model VUs from a laptop",
		Story: "2000 closed-model VUs with no think time, from a fifth of one CPU, to offer 200 requests/s: " +
			"the load generator is the bottleneck, and reports its limits as the server's",
		API:        Setup{Summary: "the API with the machine's CPU", API: map[string]string{}, SeedTodos: 200},
		PlanCPU:    &cpulimit.Limit{CPUs: "1", Quota: 0.2},
		Flags:      []string{"--timeout", "5s"},
		QuickFlags: []string{"--time-scale", "0.5", "--vus-scale", "0.5", "--timeout", "5s"},
		Judge:      judgeGenerator,
		Hints: map[string]string{
			"load generator saturated": "your plan's process was still the bottleneck: thousands of VUs that never " +
				"wait compete for a small CPU; offer the rate with an arrival-rate executor (loadtests.ConstantArrivalRate) " +
				"and as many VUs as the rate needs",
			"iterations dropped": "the arrival-rate executor had no free VU for some iterations: raise MaxVUs " +
				"(rate × the request's duration, with room to spare)",
			"request rate, of the target": "keep the target: the plan must offer 200 requests per second for its " +
				"whole duration; a fix that lowers the rate measures another load",
			"requests sent, of the target rate × the duration": "keep the target rate and the duration: a shorter " +
				"or slower run is another load",
		},
	}
}

func judgeGenerator(p *PlanRuns) []Check {
	h, y := p.Handout, p.Yours
	var sent, rate float64
	reasons := ""
	saturated := true
	dropped := 0.0
	if y.Summary != nil {
		t, _ := y.Requests()
		sent = float64(t)
		if secs := y.Summary.Elapsed().Seconds(); secs > 0 {
			rate = sent / secs
		}
		saturated = y.Summary.Generator.Saturated
		reasons = strings.Join(y.Summary.Generator.Reasons, "; ")
		dropped = float64(y.Summary.Iterations.Dropped)
	}
	hSat := h.Summary != nil && h.Summary.Generator.Saturated
	planned := float64(generatorTarget*generatorSeconds) * p.TimeScale
	checks := []Check{
		{Run: "handout", Name: "load generator saturated", Measured: boolFigure(hSat), Rule: "handout = 1 (yes)", Pass: hSat,
			Hint: "the handout's plan did not saturate its process: the CPU limit may not be applied here (" + h.PlanCPU + ")"},
		{Run: "yours", Name: "load generator saturated", Measured: boolFigure(saturated), Rule: "yours = 0 (no)", Pass: !saturated},
		{Run: "yours", Name: "iterations dropped", Measured: dropped, Rule: "yours = 0", Pass: dropped == 0},
		{Run: "yours", Name: "request rate, of the target", Measured: pct(rate, generatorTarget), Unit: "%",
			Rule: fmt.Sprintf("95%% ≤ yours ≤ 110%% of %d/s", generatorTarget), Pass: rate >= 0.95*generatorTarget && rate <= 1.1*generatorTarget},
		{Run: "yours", Name: "requests sent, of the target rate × the duration", Measured: pct(sent, planned), Unit: "%",
			Rule: fmt.Sprintf("yours ≥ 95%% of %g", planned), Pass: sent >= MinLoadShare*planned},
	}
	if rate > 1.1*generatorTarget {
		checks[3].Hint = "your plan sends faster than the target: VUs that never wait send as fast as the server answers; " +
			"the question is whether the API holds 200 requests/s, so offer exactly that rate"
	}
	if saturated && reasons != "" {
		checks[1].Hint = "" // the exercise's hint, with the engine's reasons after it
		checks[1].Rule += " (" + reasons + ")"
	}
	return checks
}

// noThresholds is the course's k6 script: checks but no thresholds, so a
// run exits 0 whatever the checks say. Against an API whose
// REQUEST_TIMEOUT is 1ms (1s was meant) every listing of the table's
// todos times out, every check fails, and the handout's plan still exits
// 0. The student adds thresholds: the run must exit 99 against that API
// and 0 against a healthy one (run only once it exits 99: a plan that
// passes the failing API cannot be told from one that always fails).
func noThresholds() PlanExercise {
	return PlanExercise{
		Name:   "no-thresholds",
		Source: "UQ CSSE6400's load-testing practical, whose k6 scripts have checks and no thresholds (k6 exits 0 when every check fails)",
		Story: "the course's script has checks but no thresholds: against an API whose every request times out " +
			"(REQUEST_TIMEOUT=1ms) it still exits 0, and CI stays green",
		API: Setup{Summary: "REQUEST_TIMEOUT=1ms (1s was meant): every listing times out",
			API: map[string]string{"REQUEST_TIMEOUT": "1ms"}, SeedTodos: 2000},
		// A tenth of the todos: the quick sizes shorten the think time, and
		// 2000 todos a listing, 40 listings a second, is more JSON than two
		// shared cores encode within the solution's p95 bound.
		Healthy:    &Setup{Summary: "the API as it should be, 200 todos in the table", API: map[string]string{}, SeedTodos: 200},
		Flags:      []string{"--timeout", "5s"},
		QuickFlags: []string{"--time-scale", "0.25", "--timeout", "5s"},
		Judge:      judgeNoThresholds,
		Hints: map[string]string{
			"exit code against the failing API": "your plan exited 0 although its checks failed: add thresholds to the " +
				"plan (Plan.Thresholds, such as checks>0.99) so that a run whose checks fail exits 99",
			"exit code against a healthy API": "a threshold fails against an API that serves every request: it must " +
				"judge the run, not always fail (look at the thresholds' observed values in the summary)",
			"thresholds on checks": "no threshold on the checks: the checks failed and nothing judged them; add one " +
				"such as checks>0.99",
			"thresholds on latency or failed requests": "add a threshold on the requests too, on their latency " +
				"(http_req_duration{p95}<500ms) or their failures (http_req_failed<0.01)",
		},
	}
}

func judgeNoThresholds(p *PlanRuns) []Check {
	h, y, ok := p.Handout, p.Yours, p.YoursHealthy
	count := func(r *PlanRun, prefixes ...string) float64 {
		n := 0.0
		if r == nil || r.Summary == nil {
			return 0
		}
		for _, t := range r.Summary.Thresholds {
			for _, pre := range prefixes {
				if strings.HasPrefix(t.Expr, pre) {
					n++
					break
				}
			}
		}
		return n
	}
	onChecks := count(y, "checks")
	onRequests := count(y, "http_req_duration", "http_req_failed")
	checks := []Check{
		{Run: "handout", Name: "checks failed against the failing API", Measured: 100 * h.CheckFailRate(), Unit: "%",
			Rule: "handout ≥ 90%", Pass: h.CheckFailRate() >= 0.9, Hint: "the failing API served the handout's checks: run again"},
		exitCheck("handout", "the handout's exit code against the failing API", h, 0, "the handout's plan has no thresholds and should exit 0"),
		exitCheck("yours", "exit code against the failing API", y, 99, ""),
		exitCheck("yours", "exit code against a healthy API", ok, 0, ""),
		{Run: "yours", Name: "thresholds on checks", Measured: onChecks, Rule: "yours ≥ 1", Pass: onChecks >= 1},
		{Run: "yours", Name: "thresholds on latency or failed requests", Measured: onRequests, Rule: "yours ≥ 1", Pass: onRequests >= 1},
		sameScenarios(h, y),
	}
	return append(checks, planLoadChecks(h, y)...)
}
