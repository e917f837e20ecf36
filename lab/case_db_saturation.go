package lab

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// dbSaturation reproduces seed 001's cascade: the database is slow for the
// load (a heavy list query through a pool too small for the work), every
// request waits on it, and the health check waits in the same line, so a
// load balancer would pull the instance and make things worse.
func dbSaturation() Case {
	load := func(path string) Plan {
		return Plan{Name: "throughput", Params: scenarios.Params{VUs: 100, Duration: 20 * time.Second, Path: path}, RequestTimeout: 10 * time.Second}
	}
	return Case{
		Name: "db-saturation",
		Seed: "seed 001 (LeetCode weekly contest outage)",
		Passage: "Mysql latency skyrocketed due to which all the uwsgi processes were I/O blocked waiting for the " +
			"response from the mysql. Since uwsgi stopped responding, load balancer's failover got triggered and " +
			"it disabled the traffic from one of the kubernetes cluster, resulting in even worse.",
		Story: "Every user lists every todo through a pool of 2 connections, and the health check queues behind " +
			"them: pool waits and p95 explode and the health check fails.",
		Broken: Setup{
			Summary:   "pool of 2, unbounded list query, health check through the pool",
			API:       map[string]string{"DB_MAX_CONNS": "2", "DB_MIN_CONNS": "2", "HEALTH_CHECKS_DB": "true"},
			SeedTodos: 5000,
			Workload:  load("/api/v1/todos"),
		},
		Fixed: Setup{
			Summary:   "pool of 8, list bounded to the week (index on deadline_at), liveness independent of the DB",
			API:       map[string]string{"DB_MAX_CONNS": "8", "DB_MIN_CONNS": "2", "HEALTH_CHECKS_DB": "false"},
			SeedTodos: 5000,
			Workload:  load("/api/v1/todos?completed=false&window=7"),
		},
		Quick: func(s Setup) Setup {
			p := s.Workload.(Plan)
			p.Params.VUs, p.Params.Duration = 20, 8*time.Second
			s.Workload = p
			return s
		},
		Judge: judgeDBSaturation,
		Charts: []Chart{
			{Title: "Pool wait (seconds waited per second)", Series: "pgxpool_empty_acquire_wait_seconds_total", Rate: true},
			{Title: "Pool connections in use", Series: "pgxpool_acquired_conns"},
			{Title: "Health checks failed", Series: SeriesHealthFailed},
			{Title: "Health check answer time", Series: SeriesHealthMS, Unit: "ms"},
			{Title: "Requests in flight (API)", Series: "http_inflight_requests"},
		},
	}
}

func judgeDBSaturation(b, f *Run) []Check {
	// Mean wait per acquire, in ms: waited seconds over acquires.
	wait := func(r *Run) float64 {
		n := r.Delta("pgxpool_acquire_count_total")
		if n == 0 {
			return 0
		}
		return 1000 * r.Delta("pgxpool_empty_acquire_wait_seconds_total") / n
	}
	return []Check{
		times("mean pool wait per query", "ms", wait(b), wait(f), 10, 1),
		times("p95 latency", "ms", b.P95(), f.P95(), 5, 10),
		atLeast("health checks failed", "", b.Sum(SeriesHealthFailed), f.Sum(SeriesHealthFailed), 2),
		atMost("health checks failed", "", b.Sum(SeriesHealthFailed), f.Sum(SeriesHealthFailed), 0),
		atMost("failed requests", "%", 100*b.FailedRate(), 100*f.FailedRate(), 0),
	}
}
