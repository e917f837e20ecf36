package lab

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// plannersAndStudiers reproduces seed 004's practical: the handout's k6
// script with its two bugs against an API held to one CPU, then the fixed
// script against the API with the CPU it needs.
func plannersAndStudiers() Case {
	load := func(variant string) Plan {
		return Plan{Name: "planners-and-studiers", Params: scenarios.Params{Variant: variant},
			TimeScale: 0.1, VUsScale: 0.3, RequestTimeout: 6 * time.Second}
	}
	return Case{
		Name: "planners-and-studiers",
		Seed: "seed 004 (TaskOverflow week 8: load testing and bottlenecks)",
		Passage: "You should see that most of the tests pass but that there will be a few failures throughout […] " +
			"checks 94.17% 6646 411 […] Discover that DELETE /api/v1/todos/undefined is being requested from the " +
			"logs […] Change expected HTTP status code for POST to 201 […] Upgrade the ECS task from 1 CPU",
		Story: "Studiers list todos while planners create and delete one, with the handout's script bugs, against " +
			"an API held to one CPU; the fixed script against the API with both CPUs leaves nothing behind.",
		Broken: Setup{
			Summary:   "the handout's script (request.id, POST checked for 200), API on one CPU",
			API:       map[string]string{"GOMAXPROCS": "1"},
			CPU:       &CPULimit{CPUs: "0", Quota: 0.5},
			SeedTodos: 2000,
			Workload:  load("practical"),
		},
		Fixed: Setup{
			Summary:   "fixed script (request.json().id, POST checked for 201), API on every CPU",
			API:       map[string]string{},
			SeedTodos: 2000,
			Workload:  load("fixed"),
		},
		Quick: func(s Setup) Setup {
			p := s.Workload.(Plan)
			p.VUsScale = 0.05
			s.Workload = p
			return s
		},
		Judge: judgePlanners,
		Charts: []Chart{
			{Title: "Requests in flight (API)", Series: "http_inflight_requests"},
		},
	}
}

func judgePlanners(b, f *Run) []Check {
	undefined := func(r *Run) float64 { return float64(r.LogLines(`"url":"/api/v1/todos/undefined"`, `"status"`)) }
	return []Check{
		atLeast("checks failed", "%", 100*b.CheckFailRate(), 100*f.CheckFailRate(), 3),
		atMost("checks failed", "%", 100*b.CheckFailRate(), 100*f.CheckFailRate(), 0),
		atLeast("DELETE /api/v1/todos/undefined in the logs", "", undefined(b), undefined(f), 1),
		atMost("DELETE /api/v1/todos/undefined in the logs", "", undefined(b), undefined(f), 0),
		atLeast("todos left behind", "", b.Finding(scenarios.LeftBehind), f.Finding(scenarios.LeftBehind), 1),
		atMost("todos left behind", "", b.Finding(scenarios.LeftBehind), f.Finding(scenarios.LeftBehind), 0),
		times("p95 latency", "ms", b.P95(), f.P95(), 3, 10),
	}
}
