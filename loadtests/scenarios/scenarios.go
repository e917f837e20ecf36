// Package scenarios holds the load plans bundled with loadtest, one file
// each: the practical's planners and studiers, the Locust website user,
// a smoke test of every endpoint, and the two plans the benchmarks use.
package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

// Params tune a bundled plan. Zero values mean the plan's defaults; a plan
// refuses parameters it does not take.
type Params struct {
	// Variant selects a version of the plan, such as "practical".
	Variant string
	// VUs and Duration size plans that have no fixed shape.
	VUs      int
	Duration time.Duration
	// Path is the URL path the benchmark plans request.
	Path string
	// RunID is unique per run, so that users a plan registers do not
	// collide with another run's.
	RunID string
}

// Bundled is one plan that ships with loadtest.
type Bundled struct {
	Name string
	// Story says in one line what the plan reproduces.
	Story string
	// Variants lists the accepted variants, the default first.
	Variants []string
	// Takes lists the parameters the plan accepts besides the variant:
	// "vus", "duration", "path".
	Takes []string
	build func(p Params) loadtests.Plan
}

// Build returns the plan for p. It returns an error wrapping
// loadtests.ErrInvalid when p holds a variant or a parameter the plan does
// not take.
func (b Bundled) Build(p Params) (loadtests.Plan, error) {
	if p.Variant == "" && len(b.Variants) > 0 {
		p.Variant = b.Variants[0]
	}
	if p.Variant != "" && !slices.Contains(b.Variants, p.Variant) {
		if len(b.Variants) == 0 {
			return loadtests.Plan{}, fmt.Errorf("%w: %s has no variants", loadtests.ErrInvalid, b.Name)
		}
		return loadtests.Plan{}, fmt.Errorf("%w: %s has no variant %q (want %s)", loadtests.ErrInvalid, b.Name, p.Variant, strings.Join(b.Variants, " or "))
	}
	given := map[string]bool{"vus": p.VUs != 0, "duration": p.Duration != 0, "path": p.Path != ""}
	for _, k := range []string{"vus", "duration", "path"} {
		if given[k] && !slices.Contains(b.Takes, k) {
			return loadtests.Plan{}, fmt.Errorf("%w: %s does not take --%s (scale it with --time-scale and --vus-scale)", loadtests.ErrInvalid, b.Name, k)
		}
	}
	if p.VUs < 0 || p.Duration < 0 {
		return loadtests.Plan{}, fmt.Errorf("%w: --vus and --duration must be positive", loadtests.ErrInvalid)
	}
	if p.RunID == "" {
		p.RunID = fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffff)
	}
	plan := b.build(p)
	plan.Name = b.Name
	return plan, nil
}

// All returns every bundled plan, by name.
func All() []Bundled {
	all := []Bundled{plannersAndStudiers, website, smoke, throughput, sleepers}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// Lookup returns the bundled plan called name.
func Lookup(name string) (Bundled, bool) {
	for _, b := range All() {
		if b.Name == name {
			return b, true
		}
	}
	return Bundled{}, false
}
