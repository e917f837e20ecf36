// Command todolist is a load test written in Go, as short as a k6 script:
// readers list their todos, and the run fails (exit 99) when more than
// 1% of the checks fail or p95 passes 500ms. loadtests.Main gives it every
// flag, output and exit code of "loadtest run":
//
//	go run ./examples/todolist --endpoint http://127.0.0.1:6400 --time-scale 0.1 --html report.html
package main

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

func main() { loadtests.Main(readers()) }

func readers() loadtests.Plan {
	return loadtests.Plan{
		Name: "todolist",
		Scenarios: []loadtests.Scenario{{
			Name:     "readers",
			Executor: loadtests.ConstantVUs{VUs: 5, Duration: 30 * time.Second},
			User: loadtests.Func("list todos", func(vu *loadtests.VU) error {
				r := vu.Get("/api/v1/todos")
				vu.Check("is status 200", r.Status == 200)
				return vu.Sleep(time.Second)
			}),
		}},
		Thresholds: []string{"checks>0.99", "http_req_duration{p95}<500ms"},
	}
}
