package scenarios

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

var throughput = Bundled{
	Name:  "throughput",
	Story: "every VU requests --path in a loop with no pause: raw requests per second, as wrk and hey measure it",
	Takes: []string{"vus", "duration", "path"},
	build: buildThroughput,
}

func buildThroughput(p Params) loadtests.Plan {
	vus, duration, path := p.VUs, p.Duration, p.Path
	if vus == 0 {
		vus = 50
	}
	if duration == 0 {
		duration = 10 * time.Second
	}
	if path == "" {
		path = "/api/v1/health"
	}
	return loadtests.Plan{
		Scenarios: []loadtests.Scenario{{
			Name:         "throughput",
			Executor:     loadtests.ConstantVUs{VUs: vus, Duration: duration},
			GracefulStop: -1,
			User: loadtests.Func("get", func(vu *loadtests.VU) error {
				vu.Get(path)
				return nil
			}),
		}},
	}
}
