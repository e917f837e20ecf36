package scenarios

import (
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

var sleepers = Bundled{
	Name:  "sleepers",
	Story: "many VUs (5000 by default) each make one request then sleep: what holding idle users costs the load generator",
	Takes: []string{"vus", "duration", "path"},
	build: buildSleepers,
}

func buildSleepers(p Params) loadtests.Plan {
	vus, duration, path := p.VUs, p.Duration, p.Path
	if vus == 0 {
		vus = 5000
	}
	if duration == 0 {
		duration = 30 * time.Second
	}
	if path == "" {
		path = "/api/v1/health"
	}
	return loadtests.Plan{
		Scenarios: []loadtests.Scenario{{
			Name: "sleepers",
			// All VUs up within a second, then holding until the end.
			Executor: loadtests.RampingVUs{Stages: []loadtests.Stage{
				{Duration: time.Second, Target: vus},
				{Duration: duration, Target: vus},
			}},
			GracefulStop: -1,
			User: loadtests.Func("request then sleep", func(vu *loadtests.VU) error {
				vu.Get(path)
				return vu.Sleep(duration + time.Second)
			}),
		}},
	}
}
