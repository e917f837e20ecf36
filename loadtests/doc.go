// Package loadtests is a load engine in plain Go, with k6's executors and
// Locust's user model.
//
// A run has four parts, each replaceable:
//
//   - executors (one file each: constant_vus.go, ramping_vus.go,
//     shared_iterations.go, per_vu_iterations.go, constant_arrival_rate.go,
//     ramping_arrival_rate.go) decide when VUs start iterations;
//   - the VU loop (scenario_run.go, user.go, vu.go, client.go) runs a User's
//     tasks on a VU with its own cookie jar and keep-alive connection, and
//     times each request's phases (connecting, sending, waiting, receiving);
//     a VU's HTTP/1.1 client runs on the VU's goroutine, so a sleeping VU
//     costs one goroutine and its idle connection;
//   - the aggregator (package metrics) keeps HDR histograms and counters,
//     sharded so that recording never waits on a global lock;
//   - outputs (Output) take the samples without slowing the VUs: package
//     report prints the progress line and k6's summary and writes
//     summary.json and the HTML report; package output streams JSON lines
//     and serves the generator's Prometheus metrics.
//
// Executor and Output are open: a user's package adds a load model or an
// output by implementing them, and Main gives a plan's own main.go the
// whole "loadtest run" command.
//
// A plan is Go code:
//
//	plan := loadtests.Plan{
//		Name: "studiers",
//		Scenarios: []loadtests.Scenario{{
//			Name: "studier",
//			Executor: loadtests.RampingVUs{Stages: []loadtests.Stage{
//				{Duration: 2 * time.Minute, Target: 1000},
//				{Duration: 2 * time.Minute, Target: 0},
//			}},
//			User: loadtests.Func("list todos", func(vu *loadtests.VU) error {
//				r := vu.Get("/api/v1/todos")
//				vu.Check("is status 200", r.Status == 200)
//				return vu.Sleep(2 * time.Minute)
//			}),
//		}},
//		Thresholds: []string{"checks>0.99", "http_req_duration{p95}<500ms"},
//	}
//	summary, err := loadtests.Run(ctx, plan, loadtests.Options{Endpoint: "http://127.0.0.1:6400"})
//
// Bundled plans live in package scenarios.
package loadtests
