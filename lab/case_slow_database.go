package lab

import (
	"fmt"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/lab/sample"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// slowDatabase reproduces seed 001 as it happened: the database itself
// turns slow. A toxiproxy proxy between the API and Postgres delays every
// answer by 200 ms from the load's start, so the pool's 10 connections
// (the default DB_MAX_CONNS) serve at most 50 statements a second while
// 100 VUs ask for a todo in a loop, each request timing out after 10 s.
//
// The broken run waits without bound: DB_POOL_WAIT=request lets a request
// queue for a connection as long as its deadline, and REQUEST_TIMEOUT=60s
// makes that deadline long, so every request (every "worker") blocks on
// the database; HEALTH_CHECKS_DB=true puts the health check in the same
// queue, and the sampler, playing the load balancer as in db-saturation,
// sees it fail. The fixed run keeps liveness off the database, waits at
// most 100 ms for a connection (then 503 with Retry-After: the instance
// sheds what it cannot serve) and bounds a request to 2 s.
func slowDatabase() Case {
	load := PlanWorkload{Name: "throughput", Params: scenarios.Params{VUs: 100, Duration: 20 * time.Second, Path: "/api/v1/todos/1"},
		RequestTimeout: 10 * time.Second}
	setup := func(summary string, env map[string]string) Setup {
		return Setup{Summary: summary, API: env, PGLatency: 200 * time.Millisecond, SeedTodos: 10, Workload: load}
	}
	fixed := map[string]string{"HEALTH_CHECKS_DB": "false", "DB_POOL_WAIT": "100ms", "REQUEST_TIMEOUT": "2s"}
	return Case{
		Name:   "slow-database",
		Source: "Locust - Load testing framework (LeetCode's weekly-contest outage)",
		Passage: "Mysql latency skyrocketed due to which all the uwsgi processes were I/O blocked waiting for the " +
			"response from the mysql. Since uwsgi stopped responding, load balancer's failover got triggered.",
		Story: "Postgres answers 200 ms late: every request queues for a pool connection without bound, and the " +
			"health check queues with them and fails.",
		Note: "Most of the fixed run's requests fail, on purpose: they are the ones the slow database cannot serve, " +
			"answered 503 with Retry-After within 100 ms instead of queueing for seconds; it serves as many a second as " +
			"the broken run, and the instance stays healthy.",
		Broken: setup("unbounded pool wait, 60 s request deadline, health check through the pool",
			map[string]string{"HEALTH_CHECKS_DB": "true", "DB_POOL_WAIT": "request", "REQUEST_TIMEOUT": "60s"}),
		Fixed: setup("liveness off the database, pool wait bounded to 100 ms (then 503 with Retry-After), 2 s request deadline", fixed),
		Quick: func(s Setup) Setup {
			p := s.Workload.(PlanWorkload)
			p.Params.Duration = 8 * time.Second
			s.Workload = p
			return s
		},
		Judge: judgeSlowDatabase,
		Exercise: Exercise{
			Keys:     []string{"HEALTH_CHECKS_DB", "DB_POOL_WAIT", "REQUEST_TIMEOUT"},
			Solution: fixed,
			Hints: map[string]string{
				"health checks failed": "the health check waits for the slow database: keep liveness off it " +
					"(HEALTH_CHECKS_DB=false; /api/v1/ready is the check that asks the dependencies)",
				"p95 latency": "requests queue for a pool connection as long as their deadline allows: bound the wait " +
					"(DB_POOL_WAIT) so that an instance answers 503 with Retry-After at once, and the deadline (REQUEST_TIMEOUT)",
				"mean pool wait per query": "pgxpool_empty_acquire_wait_seconds_total over pgxpool_acquire_count_total: " +
					"requests wait for a connection without bound (DB_POOL_WAIT)",
				"requests served per second": "your run served fewer requests than the broken one: a pool wait so short " +
					"that free connections go unused sheds load the database could have served",
			},
		},
		Charts: []Chart{
			{Title: "Seconds spent waiting for a pool connection", Series: "pgxpool_empty_acquire_wait_seconds_total", Rate: true},
			{Title: "Statements given up after DB_POOL_WAIT", Series: "pgxpool_wait_run_out_total", Rate: true},
			{Title: "Pool connections in use", Series: "pgxpool_acquired_conns"},
			{Title: "Health checks failed", Series: sample.SeriesHealthFailed},
			{Title: "Health check answer time", Series: sample.SeriesHealthMS, Unit: "ms"},
			{Title: "Requests in flight (API)", Series: "http_inflight_requests"},
		},
	}
}

// judgeSlowDatabase: the rules and their margins (figures measured on the
// quick runs are in docs/teacher.md).
//   - health checks failed: broken ≥ 2, the failures in a row that pull an
//     instance; fixed none.
//   - p95 latency: broken ≥ 3 × the fixed p95; fixed ≤ 1 s, the load
//     balancer's patience.
//   - mean pool wait per query: broken ≥ 5 × the fixed wait, or than 1 ms.
//   - requests served per second (answered 2xx): fixed ≥ 70% of broken's:
//     the database's capacity still serves as many; only the excess is shed.
func judgeSlowDatabase(b, f *SetupRun) []Rule {
	wait := func(r *SetupRun) float64 {
		n := r.Delta("pgxpool_acquire_count_total")
		if n == 0 {
			return 0
		}
		return 1000 * r.Delta("pgxpool_empty_acquire_wait_seconds_total") / n
	}
	sb, sf := b.ServedPerSecond(), f.ServedPerSecond()
	return []Rule{
		atLeast("health checks failed", "", b.Sum(sample.SeriesHealthFailed), f.Sum(sample.SeriesHealthFailed), 2),
		atMost("health checks failed", "", b.Sum(sample.SeriesHealthFailed), f.Sum(sample.SeriesHealthFailed), 0),
		times("p95 latency", "ms", b.P95(), f.P95(), 3, 10),
		atMost("p95 latency", "ms", b.P95(), f.P95(), 1000),
		times("mean pool wait per query", "ms", wait(b), wait(f), 5, 1),
		{Purpose: Fix, Name: "requests served per second", Unit: "/s", Broken: sb, Fixed: sf,
			Rule: fmt.Sprintf("fixed ≥ 70%% of broken (%s)", WithUnit(0.7*sb, "/s")), Pass: sb > 0 && sf >= 0.7*sb},
	}
}
