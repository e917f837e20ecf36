package lab

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// pgMaxConnections reproduces the RDS arithmetic of seed 004: every task's
// pool may open DB_MAX_CONNS connections, and the tasks together can ask
// for more than the database's max_connections.
func pgMaxConnections() Case {
	load := Plan{Name: "throughput", Params: scenarios.Params{VUs: 12, Duration: 12 * time.Second, Path: "/api/v1/todos"}, RequestTimeout: 10 * time.Second}
	return Case{
		Name: "pg-max-connections",
		Seed: "seed 004 (TaskOverflow week 8, back-of-the-envelope)",
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
			p := s.Workload.(Plan)
			p.Params.Duration = 4 * time.Second
			s.Workload = p
			return s
		},
		Judge: judgePGMaxConnections,
		Charts: []Chart{
			{Title: "Postgres connections (pg_stat_activity)", Series: SeriesPGConnections},
			{Title: "Pool connections open (all instances)", Series: "pgxpool_total_conns"},
			{Title: "5xx responses", Series: SeriesHTTP5xx, Rate: true},
		},
	}
}

func judgePGMaxConnections(b, f *Run) []Check {
	tooMany := func(r *Run) float64 { return float64(r.LogLines("too many clients")) }
	poolSum := func(r *Run) float64 { return r.Peak("pgxpool_max_conns") }
	return []Check{
		atLeast("pool sum over max_connections", "×", poolSum(b)/float64(b.Setup.PGMaxConnections), poolSum(f)/float64(f.Setup.PGMaxConnections), 1.01),
		atMost("pool sum over max_connections", "×", poolSum(b)/float64(b.Setup.PGMaxConnections), poolSum(f)/float64(f.Setup.PGMaxConnections), 0.9),
		atLeast("\"too many clients\" log lines", "", tooMany(b), tooMany(f), 1),
		atMost("\"too many clients\" log lines", "", tooMany(b), tooMany(f), 0),
		atLeast("5xx responses", "", b.Delta(SeriesHTTP5xx), f.Delta(SeriesHTTP5xx), 1),
		atMost("5xx responses", "", b.Delta(SeriesHTTP5xx), f.Delta(SeriesHTTP5xx), 0),
	}
}
