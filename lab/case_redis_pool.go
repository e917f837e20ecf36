package lab

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/scenarios"
)

// redisPoolUnbounded reproduces seed 000: a redigo pool with MaxActive at
// its zero value (unlimited) and a small MaxIdle dials Redis for nearly
// every request once concurrency passes MaxIdle, and closes the extra
// connection right after.
//
// What it measures: Redis's own total_connections_received over the run,
// divided by the requests the load made (each carries the session cookie,
// so each reads its session from Redis), and the peak of connected_clients.
//
// Why the thresholds: see the comment in the judge.
func redisPoolUnbounded() Case {
	load := Plan{Name: "website", Params: scenarios.Params{VUs: 400, Duration: 15 * time.Minute}, TimeScale: 0.02}
	return Case{
		Name: "redis-pool-unbounded",
		Seed: "seed 000 (Locust load test reveals a Redis connection storm)",
		Passage: "we are obviously creating a redis.Pool, and yet we are seeing just about one new connection " +
			"for every api call we make to redis. […] no where in my sessions journey was anyone setting a " +
			"realistic default value for Pool.MaxActive, and since it is an int in go, we default to 0.",
		Story: "Logged-in website users under load; the session pool's MaxActive is unlimited and MaxIdle is " +
			"redistore's 3, so Redis sees a new connection for almost every request.",
		Broken: Setup{
			Summary:  "unbounded pool, MaxIdle 3 (redistore's default)",
			API:      map[string]string{"REDIS_MAX_ACTIVE": "unlimited", "REDIS_MAX_IDLE": "3", "REDIS_WAIT": "false", "MAX_INFLIGHT": "1024"},
			Workload: load,
		},
		Fixed: Setup{
			Summary:  "bounded, waiting pool of 16, all kept idle",
			API:      map[string]string{"REDIS_MAX_ACTIVE": "16", "REDIS_MAX_IDLE": "16", "REDIS_WAIT": "true", "MAX_INFLIGHT": "1024"},
			Workload: load,
		},
		Quick: func(s Setup) Setup {
			p := s.Workload.(Plan)
			p.Params.VUs, p.Params.Duration = 150, 12*time.Second
			s.Workload = p
			return s
		},
		Judge: judgeRedisPool,
		Charts: []Chart{
			{Title: "Redis connections received", Series: SeriesRedisConnections, Rate: true},
			{Title: "Redis connected clients", Series: SeriesRedisClients},
			{Title: "Redis pool dials (API side)", Series: "redis_pool_dials_total", Rate: true},
			{Title: "Redis pool connections open (API side)", Series: "redis_pool_active_conns"},
		},
	}
}

func judgeRedisPool(b, f *Run) []Check {
	perRequest := func(r *Run) float64 {
		total, _ := r.Requests()
		if total == 0 {
			return 0
		}
		return r.Delta(SeriesRedisConnections) / float64(total)
	}
	return []Check{
		atLeast("Redis connections received per request", "", perRequest(b), perRequest(f), 0.2),
		atMost("Redis connections received per request", "", perRequest(b), perRequest(f), 0.01),
		times("peak Redis connected clients", "", b.Peak(SeriesRedisClients), f.Peak(SeriesRedisClients), 1.5, 4),
		atMost("peak Redis connected clients", "", b.Peak(SeriesRedisClients), f.Peak(SeriesRedisClients), 16+1),
	}
}
