// Command solution is the reference solution of the no-thresholds exercise
// (exercises/no-thresholds): the same load, with thresholds on the checks
// and on the requests. The handout is the course's load test as its scripts are
// written: checks on every answer, and no thresholds. A check that fails
// is counted and printed, nothing more: the run exits 0 whatever the
// checks say, so a CI job that runs it stays green while every request
// fails.
//
//	go run ./exercises/no-thresholds --endpoint http://127.0.0.1:6400
//	go run ./cmd/lab verify no-thresholds --plan exercises/no-thresholds --quick
//
// The exercise: make the run fail (exit 99, as k6's) when the service
// fails, and pass when it serves. Thresholds are strings on the plan, as
// k6's options.thresholds: "checks>0.99" (the share of checks that
// passed), "http_req_failed<0.01", "http_req_duration{p95}<500ms"; see
// docs/loadtest.md. Leave the scenario as it is.
package main

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

func main() { loadtests.Main(plan()) }

// student lists the todos, checks the answer, and thinks for a second.
func student(vu *loadtests.VU) error {
	r := vu.Get("/api/v1/todos")
	vu.Check("is status 200", r.Status == 200)
	var todos []struct {
		ID int64 `json:"id"`
	}
	vu.Check("is a list of todos", r.JSON(&todos) == nil)
	return vu.Sleep(time.Second)
}

func plan() loadtests.Plan {
	return loadtests.Plan{
		Name: "no-thresholds",
		Scenarios: []loadtests.Scenario{{
			Name:     "students",
			Executor: loadtests.ConstantVUs{VUs: 10, Duration: 20 * time.Second},
			User:     loadtests.Func("list todos", student),
		}},
		// Fixed: the run fails (exit 99) when more than 1% of the checks
		// or of the requests fail, or when p95 passes 500 ms.
		Thresholds: []string{"checks>0.99", "http_req_failed<0.01", "http_req_duration{p95}<500ms"},
	}
}
