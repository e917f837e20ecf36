package lab

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/lab/cpulimit"
)

// Case is one documented incident, reproduced: the service as it was when
// it broke, as it should be, and how to tell the two apart from what a run
// measures.
type Case struct {
	Name string
	// Source names the document that tells of the incident; Passage quotes
	// what the case reproduces.
	Source  string
	Passage string
	// Story tells in one line what happens.
	Story string
	// Note, when set, explains a figure of the runs a reader would wonder
	// about (printed after the verdict).
	Note string
	// Broken and Fixed are the two runs' setups.
	Broken, Fixed Setup
	// Quick shrinks a setup for the quick lab (CI); nil runs it as is.
	Quick func(Setup) Setup
	// Judge returns the figures of both runs, each with its rule: the
	// symptoms the broken run must show and what the fixed run must clear.
	Judge func(broken, fixed *SetupRun) []Rule
	// Exercise is what a student may change to fix it (lab verify); a case
	// without keys has its fix in the load plan.
	Exercise Exercise
	// Charts lists the series the report draws for this case, besides the
	// load's requests and latency.
	Charts []Chart
}

// Setup is how the service runs in one of a case's runs, and the load it gets.
type Setup struct {
	// Summary says in a few words what is wrong or right with this setup.
	Summary string
	// API is each instance's environment, over BaseEnv.
	API map[string]string
	// Instances is how many API processes share the database; 0 means 1.
	Instances int
	// NoFile, when above zero, is the API's RLIMIT_NOFILE.
	NoFile uint64
	// CPU, when set, holds the API to part of the machine.
	CPU *cpulimit.Limit
	// PGMaxConnections, when above zero, is Postgres's max_connections.
	PGMaxConnections int
	// PGLatency, when above zero, puts a toxiproxy proxy between the API
	// and Postgres and delays every answer by it from the load's start:
	// the database turned slow (the sampler and the seeding go direct).
	PGLatency time.Duration
	// SeedTodos is how many todos the database holds before the load starts.
	SeedTodos int
	// Workload is the load.
	Workload Workload
	// Calibrate, when set, sizes Workload from the API's capacity, measured
	// just before the load; a case's fixed run takes the broken run's size.
	Calibrate *Calibration
}

// Calibration sizes a setup's load from the API's capacity, measured under
// the setup's own limits just before the load, so that the run sits at the
// same operating point (the same multiple of what the API serves) on a fast
// machine and on a slow or busy one.
type Calibration struct {
	// VUs closed-loop VUs ask for Path with no think time for Duration;
	// what they are served a second is the capacity.
	Path     string
	VUs      int
	Duration time.Duration
	// Size returns w sized for a capacity, in requests a second.
	Size func(w Workload, capacity float64) Workload
}

// BaseEnv returns the environment every API instance of the lab starts
// with: debug logs (each SQL statement and Redis command, with its request
// id, for Trace) and a low bcrypt cost, so that logging users in does not
// eat the CPU the incidents are about.
func BaseEnv() map[string]string {
	return map[string]string{"LOG_LEVEL": "debug", "LOG_FORMAT": "json", "BCRYPT_COST": "4"}
}

// Env returns the setup's API environment over BaseEnv.
func (s Setup) Env() map[string]string {
	env := BaseEnv()
	maps.Copy(env, s.API)
	return env
}

// instances returns how many API processes the setup runs.
func (s Setup) instances() int { return max(s.Instances, 1) }

// Describe lists what the setup sets, one item per line.
func (s Setup) Describe() []string {
	var out []string
	keys := slices.Sorted(maps.Keys(s.API))
	for _, k := range keys {
		out = append(out, k+"="+s.API[k])
	}
	if s.Instances > 1 {
		out = append(out, fmt.Sprintf("%d API instances", s.Instances))
	}
	if s.NoFile > 0 {
		out = append(out, fmt.Sprintf("RLIMIT_NOFILE=%d", s.NoFile))
	}
	if s.CPU != nil {
		out = append(out, "CPU: "+s.CPU.String())
	}
	if s.PGMaxConnections > 0 {
		out = append(out, fmt.Sprintf("Postgres max_connections=%d", s.PGMaxConnections))
	}
	if s.PGLatency > 0 {
		out = append(out, fmt.Sprintf("Postgres answers %s late (toxiproxy)", s.PGLatency))
	}
	if s.SeedTodos > 0 {
		out = append(out, fmt.Sprintf("%d todos in the table", s.SeedTodos))
	}
	if s.Calibrate != nil {
		out = append(out, fmt.Sprintf("load sized from the capacity for GET %s (%d VUs, %s)", s.Calibrate.Path,
			s.Calibrate.VUs, s.Calibrate.Duration))
	}
	if s.Workload != nil {
		out = append(out, "load: "+s.Workload.String())
	}
	return out
}

// Chart is one chart of the report: series of both runs over time.
type Chart struct {
	Title string
	// Series is a sample series name; Rate charts a counter's per-second
	// increase instead of its value.
	Series string
	Rate   bool
	// Scale multiplies each value (for instance 1/1048576 for MiB).
	Scale float64
	Unit  string
}

// All returns every case, in the order the lab runs them.
func All() []Case {
	return []Case{
		redisPoolUnbounded(),
		dbSaturation(),
		slowDatabase(),
		maxConnections(),
		plannersAndStudiers(),
		pgMaxConnections(),
	}
}

// Lookup returns the case called name.
func Lookup(name string) (Case, bool) {
	for _, c := range All() {
		if c.Name == name {
			return c, true
		}
	}
	return Case{}, false
}

// CaseNames returns every case's name.
func CaseNames() []string {
	var names []string
	for _, c := range All() {
		names = append(names, c.Name)
	}
	return names
}

// QuickCaseNames names the subset the quick lab runs: the cases that finish
// in seconds and need little CPU, so that CI can run them under the race
// detector beside other packages' tests.
func QuickCaseNames() []string {
	return []string{"redis-pool-unbounded", "db-saturation", "slow-database", "max-connections", "pg-max-connections"}
}

// Select returns the cases called names, or an error naming the unknown ones.
func Select(names []string) ([]Case, error) {
	var out []Case
	var unknown []string
	for _, n := range names {
		c, ok := Lookup(n)
		if !ok {
			unknown = append(unknown, n)
			continue
		}
		out = append(out, c)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("no case %s (cases: %s)", strings.Join(unknown, ", "), strings.Join(CaseNames(), ", "))
	}
	return out, nil
}
