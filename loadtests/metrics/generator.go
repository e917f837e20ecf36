package metrics

import (
	"slices"
	"time"
)

// Generator is what the load generator measured about itself: when it
// was saturated, the run's figures understate the server.
type Generator struct {
	// Cores is how many cores the generator could use (GOMAXPROCS).
	Cores int `json:"cores"`
	// CPU is the highest share of those cores the process used over one
	// sampling window, 0 to 1; negative when the platform cannot tell.
	CPU float64 `json:"cpu"`
	// Wait is the highest, over one sampling window, of the time one
	// goroutine in ten that was ready to run waited for a core (p90 of
	// the runtime's scheduling latencies): the VUs' timings include it.
	Wait time.Duration `json:"wait"`
	// LateIterations counts arrival-rate iterations that started later
	// than LateBound after their schedule; MaxLate is the latest.
	LateIterations int64         `json:"late_iterations"`
	MaxLate        time.Duration `json:"max_late"`
	// DroppedSamples counts samples an output could not take in time, by
	// output.
	DroppedSamples map[string]int64 `json:"dropped_samples,omitempty"`
	// Saturated is set when the generator was the bottleneck; Reasons say
	// why.
	Saturated bool     `json:"saturated"`
	Reasons   []string `json:"reasons,omitempty"`
}

// merge adds another run's generator: saturated when either was, the
// highest CPU and lateness, the sum of counts.
func (g *Generator) merge(o Generator) {
	g.Cores = max(g.Cores, o.Cores)
	g.CPU = max(g.CPU, o.CPU)
	g.Wait = max(g.Wait, o.Wait)
	g.LateIterations += o.LateIterations
	g.MaxLate = max(g.MaxLate, o.MaxLate)
	for k, v := range o.DroppedSamples {
		if g.DroppedSamples == nil {
			g.DroppedSamples = map[string]int64{}
		}
		g.DroppedSamples[k] += v
	}
	g.Saturated = g.Saturated || o.Saturated
	for _, r := range o.Reasons {
		if !slices.Contains(g.Reasons, r) {
			g.Reasons = append(g.Reasons, r)
		}
	}
}
