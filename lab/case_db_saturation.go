package lab

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// dbSaturation reproduces seed 001's cascade: the database is slow for the
// load, every request waits for it, and the health check waits in the same
// line, so a load balancer would pull the instance and make things worse.
//
// Both runs start with 5000 todos, and a toxiproxy proxy between the API and
// Postgres delays every answer by 20 ms from the load's start, as a loaded
// database's latency does: a connection then serves at most 50 statements
// a second whatever the machine's CPU, so the pool's size, not the cores,
// sets what the API serves (Little's law: connections = statements per
// second × seconds per statement). The load is the throughput plan: 100
// VUs requesting a list in a loop for 20 s, each request timing out after
// 10 s. The broken run lists every todo through DB_MAX_CONNS=2 with
// HEALTH_CHECKS_DB=true, so that /api/v1/health pings Postgres through the
// same pool and waits in line with them, as the incident's health check
// did. The fixed run sizes the pool to 8, lists only the week's open todos
// (?completed=false&window=7, about a hundred rows, found through the
// deadline_at index) and keeps liveness off the database.
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
		Story: "Postgres answers 20 ms late and every user lists every todo through a pool of 2 connections; the " +
			"health check queues behind them: pool waits and p95 explode and the health check fails.",
		Note: "At 20 ms a statement a connection serves at most 50 a second, so the pool's size bounds what the API " +
			"serves: 2 connections at most 100 listings a second, 8 at most 400 (about 310 measured).",
		Broken: Setup{
			Summary:   "pool of 2, unbounded list query, health check through the pool",
			API:       map[string]string{"DB_MAX_CONNS": "2", "DB_MIN_CONNS": "2", "HEALTH_CHECKS_DB": "true"},
			PGLatency: dbSaturationLatency,
			SeedTodos: 5000,
			Workload:  load("/api/v1/todos"),
		},
		Fixed: Setup{
			Summary:   "pool of 8, list bounded to the week (index on deadline_at), liveness independent of the DB",
			API:       map[string]string{"DB_MAX_CONNS": "8", "DB_MIN_CONNS": "2", "HEALTH_CHECKS_DB": "false"},
			PGLatency: dbSaturationLatency,
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
				"health check answer time, median": "a health check that pings Postgres takes at least the database's " +
					"20 ms, plus its wait in the pool's line: liveness must not touch the database (HEALTH_CHECKS_DB=false; " +
					"/api/v1/ready is the check that asks the dependencies)",
				"requests served per second": "at 20 ms a statement one connection serves at most 50 a second: " +
					"DB_MAX_CONNS bounds what the API serves (Little's law: connections = statements per second × seconds per statement)",
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

// dbSaturationLatency is how late Postgres answers in both runs.
const dbSaturationLatency = 20 * time.Millisecond

// dbSaturationServed is the rate the fix must serve: what 3 connections
// serve at dbSaturationLatency a statement, half as much again as a pool of
// 2 can serve at most, and about half what one of 8 served.
const dbSaturationServed = 3 * float64(time.Second/dbSaturationLatency)

// judgeDBSaturation: measured (quick runs, 2 cores), the broken run's
// queries waited 1.67 s to 2.11 s on average for a pool connection, its
// p95 was 2.1 s to 3.1 s and 7 of its health checks failed; the fixed
// settings served 312 and 315 requests a second (8 connections at 20 ms
// and some: 400 at most), with a p95 of 333 ms to 342 ms, a median health
// check of 2.7 ms and no failure. A pool of 2 served 82 to 84 a second
// (at most 100) with a p95 of 1.2 s; the health check through a pool of 8
// took 307 ms (median) and never failed.
//   - mean pool wait per query: broken ≥ 500 ms.
//   - p95 latency: broken ≥ 3 × the fixed p95, or than 10 ms when the
//     fixed p95 is under 10 ms (6.4× and 6.6× measured; 1.7× with the
//     pool of 2).
//   - health checks failed: broken ≥ 2, the failures in a row that pull an
//     instance; fixed none.
//   - health check answer time, the median while the load runs: fixed ≤
//     15 ms, since a check that pings Postgres takes at least its 20 ms,
//     and a check that waits for the pool much longer.
//   - requests served per second: fixed ≥ dbSaturationServed (150).
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
	healthMS := 0.75 * float64(dbSaturationLatency.Milliseconds())
	return []Rule{
		atLeast("mean pool wait per query", "ms", wait(b), wait(f), 500),
		times("p95 latency", "ms", b.P95(), f.P95(), 3, 10),
		atLeast("health checks failed", "", b.Sum(sample.SeriesHealthFailed), f.Sum(sample.SeriesHealthFailed), 2),
		atMost("health checks failed", "", b.Sum(sample.SeriesHealthFailed), f.Sum(sample.SeriesHealthFailed), 0),
		atMost("health check answer time, median", "ms", b.Median(sample.SeriesHealthMS), f.Median(sample.SeriesHealthMS), healthMS),
		fixedAtLeast("requests served per second", "/s", b.ServedPerSecond(), f.ServedPerSecond(), dbSaturationServed),
		atMost("failed requests", "%", 100*b.FailedRate(), 100*f.FailedRate(), 0),
	}
}
