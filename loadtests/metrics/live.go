package metrics

import "time"

// Progress is the live state of a run.
type Progress struct {
	Elapsed     time.Duration
	VUs         int64
	VUsMax      int64
	Complete    int64
	Interrupted int64
	Dropped     int64
	Requests    int64
	Failed      int64
	// Last is the last second of the run.
	Last      Point
	Scenarios []ScenarioProgress
	// Generator is the load generator's own state so far (see Generator).
	Generator Generator
	Done      bool
	// Stopping is set once the run was asked to stop (Ctrl-C): VUs
	// iterations are still running, for at most StopLeft. The first such
	// Progress comes at once, with StopLeft the whole wait.
	Stopping bool
	StopLeft time.Duration
	// Checks holds each check's passes and failures so far (without what
	// the failures saw), nil before any check ran.
	Checks map[string]CheckStats
	// Thresholds holds each of the plan's thresholds judged on the run so
	// far, as the end will judge the whole run; one whose metric has no
	// samples yet has Reason "no samples". Nil when the plan has none.
	Thresholds []ThresholdResult
}

// ScenarioProgress is the live state of one scenario.
type ScenarioProgress struct {
	Name string
	// Fraction of the scenario done, 0 to 1.
	Fraction float64
	VUs      int64
	// Detail reads as k6's progress bars: "20 VUs 07m09.0s/10m0s 400/400 shared iters".
	Detail string
}

// Sample is one finished request as outputs receive it.
type Sample struct {
	Scenario string
	VU       int
	Result
}

// RunInfo describes a run to its outputs when it starts.
type RunInfo struct {
	Plan      string
	Endpoint  string
	Start     time.Time
	Scenarios []string
}
