package lab

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// pgMaxConnections reproduces the RDS arithmetic of seed 004: every task's
// pool may open DB_MAX_CONNS connections, and the tasks together can ask
// for more than the database's max_connections.
//
// Postgres starts with max_connections 20; the lab's sampler takes one
// connection first. Three API instances start with DB_MIN_CONNS open each,
// then 12 VUs per instance list 1000 todos in a loop for 12 s, so each
// pool grows towards DB_MAX_CONNS: 3 × 10 = 30 in the broken run, which
// Postgres refuses past its limit; 3 × 5 = 15 in the fixed one.
func pgMaxConnections() Case {
	load := PlanWorkload{Name: "throughput", Params: scenarios.Params{VUs: 12, Duration: 12 * time.Second, Path: "/api/v1/todos"}, RequestTimeout: 10 * time.Second}
	return Case{
		Name:   "pg-max-connections",
		Source: "the TaskOverflow load-testing practical (week 8), its back-of-the-envelope section",
		Passage: "The formula for calculating the amount of concurrent connections RDS can handle is roughly: " +
			"LEAST(DBInstanceClassMemory/9531392, 5000)",
		Story: "Three API instances whose pools of 10 add up to 30 share a Postgres with max_connections 20: " +
			"under load the pools grow into \"too many clients\" and 503s.",
		Broken: Setup{
			Summary:          "3 × DB_MAX_CONNS 10 = 30 > max_connections 20",
			API:              map[string]string{"DB_MAX_CONNS": "10", "DB_MIN_CONNS": "4"},
			Instances:        3,
			PGMaxConnections: 20,
			SeedTodos:        1000,
			Workload:         load,
		},
		Fixed: Setup{
			Summary:          "3 × DB_MAX_CONNS 5 = 15, within max_connections 20 with room for the lab and an operator",
			API:              map[string]string{"DB_MAX_CONNS": "5", "DB_MIN_CONNS": "2"},
			Instances:        3,
			PGMaxConnections: 20,
			SeedTodos:        1000,
			Workload:         load,
		},
		Quick: func(s Setup) Setup {
			p := s.Workload.(PlanWorkload)
			p.Params.Duration = 6 * time.Second
			s.Workload = p
			return s
		},
		Judge: judgePGMaxConnections,
		Exercise: Exercise{
			Keys:     []string{"DB_MAX_CONNS", "DB_MIN_CONNS"},
			Solution: map[string]string{"DB_MAX_CONNS": "5", "DB_MIN_CONNS": "2"},
			Hints: map[string]string{
				"pool sum over max_connections": "three instances each open up to DB_MAX_CONNS: 3 × DB_MAX_CONNS must stay " +
					"under max_connections (20) with room for an operator and the lab's sampler (at most 18)",
				"\"too many clients\" log lines": "look for SQLSTATE 53300 in the API's log: the pools together asked Postgres for more than max_connections",
				"requests answered 503":          "a refused database connection reaches the user as 503: size the pools so their sum fits",
			},
			// A 503 for a refused connection comes back in a few
			// milliseconds, a listing of 1000 todos in tens: the broken
			// run's users loop faster on their failures than a run that
			// serves every request can, by 0 to 10% of its requests
			// (the share it was refused) depending on the machine.
			Refused: []string{"status 503"},
		},
		Charts: []Chart{
			{Title: "Postgres connections (pg_stat_activity)", Series: sample.SeriesPGConnections},
			{Title: "Pool connections open (all instances)", Series: "pgxpool_total_conns"},
			{Title: "5xx responses", Series: sample.SeriesHTTP5xx, Rate: true},
		},
	}
}

// judgePGMaxConnections: measured, the broken run's pools reached
// Postgres's limit (19 connections besides the sampler's), and 20% of its
// requests (2.5% in the quick run) were answered 503 with "sorry, too many
// clients already" (SQLSTATE 53300) in the log; the fixed run's 15
// connections fit and no request failed.
//   - pool sum over max_connections (the sum of pgxpool_max_conns of every
//     instance, over the setting): broken > 1, the arithmetic's own verdict;
//     fixed ≤ 0.9, leaving room for the lab's sampler and an operator.
//   - "too many clients" lines and requests answered 503: broken ≥ 1 of
//     each, fixed none. How many fail depends on how fast the pools grow
//     (4 to 11 in the quick runs, 1% to 2.5% of their requests), but one
//     refused connection is already the incident.
func judgePGMaxConnections(b, f *SetupRun) []Rule {
	tooMany := func(r *SetupRun) float64 { return float64(r.LogLines("too many clients")) }
	poolSum := func(r *SetupRun) float64 { return r.Peak("pgxpool_max_conns") }
	unavailable := func(r *SetupRun) float64 {
		if r.Summary == nil {
			return 0
		}
		return float64(r.Summary.Total().Failures["status 503"])
	}
	return []Rule{
		atLeast("pool sum over max_connections", "×", poolSum(b)/float64(b.Setup.PGMaxConnections), poolSum(f)/float64(f.Setup.PGMaxConnections), 1.01),
		atMost("pool sum over max_connections", "×", poolSum(b)/float64(b.Setup.PGMaxConnections), poolSum(f)/float64(f.Setup.PGMaxConnections), 0.9),
		atLeast("\"too many clients\" log lines", "", tooMany(b), tooMany(f), 1),
		atMost("\"too many clients\" log lines", "", tooMany(b), tooMany(f), 0),
		atLeast("requests answered 503", "", unavailable(b), unavailable(f), 1),
		atMost("requests answered 503", "", unavailable(b), unavailable(f), 0),
	}
}
