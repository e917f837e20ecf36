// Command solution is the reference solution of the generator-bottleneck
// exercise (exercises/generator-bottleneck): the same target rate, offered
// by an arrival-rate executor with the VUs it needs. The handout asks whether the API serves 200 requests
// per second of todo listings, the way the course's scripts ask it:
// thousands of closed-model VUs that never wait, from one small machine.
// Run from a small share of a CPU (a laptop busy with other things, a CI
// runner), the load generator itself is the bottleneck: its VUs queue for
// the CPU, their timings include the wait, and the run reports the
// generator's limits as the server's. The engine says so: the summary's
// "load generator saturated" warning (summary.json: generator.saturated).
//
//	go run ./exercises/generator-bottleneck --endpoint http://127.0.0.1:6400
//	go run ./cmd/lab verify generator-bottleneck --plan exercises/generator-bottleneck --quick
//
// The exercise: offer the same target rate, 200 requests per second for
// 10 seconds, without saturating the generator. Keep targetRate and
// duration as they are; change how the load is generated.
package main

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

func main() { loadtests.Main(plan()) }

// The question the run answers: does the API hold this rate?
const (
	targetRate = 200 // requests per second
	duration   = 10 * time.Second
)

// lister lists the todos, as fast as the answers come back.
func lister(vu *loadtests.VU) error {
	r := vu.Get("/api/v1/todos")
	vu.Check("is status 200", r.Status == 200)
	return nil
}

func plan() loadtests.Plan {
	return loadtests.Plan{
		Name: "generator-bottleneck",
		Scenarios: []loadtests.Scenario{{
			Name: "listers",
			// Fixed: an open model starts targetRate iterations a second
			// whatever the answers do. Each takes a few milliseconds, so
			// a few VUs serve the rate; MaxVUs leaves room for a slow
			// second (rate × a slow request's duration).
			Executor: loadtests.ConstantArrivalRate{Rate: targetRate, TimeUnit: time.Second, Duration: duration,
				PreAllocatedVUs: 20, MaxVUs: 200},
			User: loadtests.Func("list todos", lister),
		}},
		Thresholds: []string{"http_req_duration{p95}<200ms"},
	}
}
