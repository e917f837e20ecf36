// Command shardplan is a user's plan for the distributed-run test: 301
// iterations shared among 6 VUs, each one GET of the endpoint's root.
package main

import "github.com/taskoverflow-lab/taskoverflow/loadtests"

func main() {
	loadtests.Main(loadtests.Plan{Name: "shardplan", Scenarios: []loadtests.Scenario{{
		Name:     "shared",
		Executor: loadtests.SharedIterations{VUs: 6, Iterations: 301},
		User: loadtests.Func("get", func(vu *loadtests.VU) error {
			vu.Check("is status 200", vu.Get("/").Status == 200)
			return nil
		}),
	}}})
}
