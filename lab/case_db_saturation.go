package lab

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// dbSaturation reproduces seed 001's cascade: the database is slow for the
// load (a heavy list query through a pool too small for the work), every
// request waits on it, and the health check waits in the same line, so a
// load balancer would pull the instance and make things worse.
//
// Both runs start with 5000 todos and take the throughput plan: 100 VUs
// requesting a list in a loop for 20 s, each request timing out after
// 10 s. The broken run lists every todo through DB_MAX_CONNS=2 with
// HEALTH_CHECKS_DB=true, so that /api/v1/health pings Postgres through the
// same pool and waits in line with MAX_INFLIGHT, as the incident's health
// check did. The fixed run sizes the pool to 8, lists only the week's
// open todos (?completed=false&window=7, about a hundred rows, found
// through the deadline_at index) and keeps liveness off the database.
//
// The sampler plays the load balancer: once a second it asks
// /api/v1/health with a timeout of one second, Kubernetes' default probe
// timeout (the incident's cluster); two failures in a row would pull the
// instance.
func dbSaturation() Case {
	load := func(path string) PlanWorkload {
		return PlanWorkload{Name: "throughput", Params: scenarios.Params{VUs: 100, Duration: 20 * time.Second, Path: path}, RequestTimeout: 10 * time.Second}
	}
	return Case{
		Name:   "db-saturation",
		Source: "Locust - Load testing framework (LeetCode's weekly-contest outage)",
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
			p := s.Workload.(PlanWorkload)
			p.Params.Duration = 8 * time.Second
			s.Workload = p
			return s
		},
		Judge: judgeDBSaturation,
		Exercise: Exercise{
			Keys:     []string{"DB_MAX_CONNS", "DB_MIN_CONNS", "HEALTH_CHECKS_DB"},
			Solution: map[string]string{"DB_MAX_CONNS": "8", "DB_MIN_CONNS": "2", "HEALTH_CHECKS_DB": "false"},
			// The student's run lists the week's open todos, as the fixed
			// run does: bounding the query is code, the settings are theirs.
			Workload: load("/api/v1/todos?completed=false&window=7"),
			Hints: map[string]string{
				"health checks failed": "a liveness check that waits for the database fails with it: HEALTH_CHECKS_DB " +
					"ties /api/v1/health to the pool",
				"mean pool wait per query": "pgxpool_empty_acquire_wait_seconds_total over pgxpool_acquire_count_total: " +
					"requests queue for too few connections (DB_MAX_CONNS)",
				"failed requests": "requests time out waiting: a pool too small for the load",
				"p95 latency":     "requests wait for a pool connection: compare pgxpool_acquired_conns with DB_MAX_CONNS",
			},
		},
		Charts: []Chart{
			{Title: "Seconds spent waiting for a pool connection", Series: "pgxpool_empty_acquire_wait_seconds_total", Rate: true},
			{Title: "Pool connections in use", Series: "pgxpool_acquired_conns"},
			{Title: "Health checks failed", Series: sample.SeriesHealthFailed},
			{Title: "Health check answer time", Series: sample.SeriesHealthMS, Unit: "ms"},
			{Title: "Requests in flight (API)", Series: "http_inflight_requests"},
		},
	}
}

// judgeDBSaturation: measured, the broken run's queries waited 0.97 s to
// 1.55 s on average for a pool connection, its p95 was 1.1 s to 2.1 s and
// 19 of its 23 or 24 health checks failed; the fixed run's waits were 67 ms
// (100 VUs on 8 connections), its p95 96 ms to 100 ms, and no health check
// failed.
//   - mean pool wait per query: broken ≥ 10 × the fixed wait, or than
//     10 ms when the fixed wait is under 1 ms (14× to 23× measured).
//   - p95 latency: broken ≥ 5 × the fixed p95, or than 50 ms when the
//     fixed p95 is under 10 ms (11× to 21× measured).
//   - health checks failed: broken ≥ 2, the failures in a row that pull an
//     instance; fixed none.
//   - failed requests, fixed none: latency is bounded, nothing times out.
func judgeDBSaturation(b, f *SetupRun) []Rule {
	// Mean wait per acquire, in ms: waited seconds over acquires.
	wait := func(r *SetupRun) float64 {
		n := r.Delta("pgxpool_acquire_count_total")
		if n == 0 {
			return 0
		}
		return 1000 * r.Delta("pgxpool_empty_acquire_wait_seconds_total") / n
	}
	return []Rule{
		times("mean pool wait per query", "ms", wait(b), wait(f), 10, 1),
		times("p95 latency", "ms", b.P95(), f.P95(), 5, 10),
		atLeast("health checks failed", "", b.Sum(sample.SeriesHealthFailed), f.Sum(sample.SeriesHealthFailed), 2),
		atMost("health checks failed", "", b.Sum(sample.SeriesHealthFailed), f.Sum(sample.SeriesHealthFailed), 0),
		atMost("failed requests", "%", 100*b.FailedRate(), 100*f.FailedRate(), 0),
	}
}
