package loadtests_test

import (
	"context"
	"fmt"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

// A plan with a Locust-style user on an open-model executor, as in the
// README. (Compiled, not run: it needs a server.)
func ExampleRun() {
	plan := loadtests.Plan{
		Name: "browse",
		Scenarios: []loadtests.Scenario{{
			Name:     "readers",
			Executor: loadtests.ConstantArrivalRate{Rate: 50, Duration: time.Minute, PreAllocatedVUs: 20, MaxVUs: 100},
			User: loadtests.User{
				OnStart: func(vu *loadtests.VU) error { /* log in: the cookie stays in vu's jar */ return nil },
				Tasks: []loadtests.Task{
					{Name: "list", Weight: 3, Run: func(vu *loadtests.VU) error {
						r := vu.Get("/api/v1/todos")
						vu.Check("is status 200", r.Status == 200)
						return nil
					}},
					{Name: "one", Weight: 1, Run: func(vu *loadtests.VU) error {
						r := vu.Get("/api/v1/todos/1", loadtests.Name("GET /api/v1/todos/{id}"))
						vu.Check("found", r.Status == 200)
						return nil
					}},
				},
				Wait: loadtests.Between(time.Second, 3*time.Second),
			},
		}},
		Thresholds: []string{"http_req_duration{p95}<300ms"},
	}
	summary, err := loadtests.Run(context.Background(), plan, loadtests.Options{Endpoint: "http://127.0.0.1:6400"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(summary.Total().Count, "requests")
}
