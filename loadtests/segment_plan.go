package loadtests

import (
	"fmt"
	"time"
)

// share is what one part of a segmented run does of a scenario, planned
// by its Partition: the executors run exactly this, and the run's
// description shows it.
type share struct {
	// VUs are the global indices of the VUs the part runs (for the
	// arrival-rate executors, of the VUs its pool may hold).
	VUs []int64
	// VUStarts, for ramping-vus, says when each VU of VUs starts, once per
	// time the ramp brings it in.
	VUStarts []vuStart
	// Iterations are the global indices of the iterations the part runs,
	// for the executors that bound them (nil for the time-bound ones).
	Iterations []int64
	// Starts, for the arrival-rate executors, is when each of Iterations
	// is due.
	Starts []time.Duration
}

// vuStart says VU of global index VU starts at At.
type vuStart struct {
	VU int64
	At time.Duration
}

// planShare returns what part p runs of the scenario ex drives; ok is
// false for an executor of a user's package, which runs whole.
func planShare(ex Executor, p *Partition) (sh share, ok bool) {
	switch c := ex.(type) {
	case ConstantVUs:
		sh.VUs = p.Indices(int64(c.VUs))
	case PerVUIterations:
		sh.VUs = p.Indices(int64(c.VUs))
		for _, vu := range sh.VUs {
			for j := range int64(c.Iterations) {
				sh.Iterations = append(sh.Iterations, vu*int64(c.Iterations)+j)
			}
		}
	case SharedIterations:
		sh.VUs = p.Indices(int64(c.maxVUs()))
		sh.Iterations = p.Indices(int64(c.Iterations))
	case RampingVUs:
		sh.VUs = p.Indices(int64(c.maxVUs()))
		var running int64
		for _, st := range c.steps() {
			for k := running; k < int64(st.VUs); k++ {
				if p.Owns(k) {
					sh.VUStarts = append(sh.VUStarts, vuStart{k, st.At})
				}
			}
			running = int64(st.VUs)
		}
	case ConstantArrivalRate:
		sh = planArrivals(c.arrivals(), p)
	case RampingArrivalRate:
		pre, mx := arrivalLimits(c.PreAllocatedVUs, c.MaxVUs)
		sh = planArrivals(arrivals{due: c.due, end: c.duration(), preAllocated: pre, maxVUs: mx}, p)
	default:
		return share{}, false
	}
	return sh, true
}

func planArrivals(a arrivals, p *Partition) share {
	sh := share{VUs: p.Indices(int64(a.maxVUs)), Iterations: p.Indices(a.total())}
	for _, i := range sh.Iterations {
		sh.Starts = append(sh.Starts, a.startOf(i))
	}
	return sh
}

// checkSegment refuses a part that would have iterations to run and no VU
// to run them on: give the scenario more VUs or split the run in fewer
// parts.
func checkSegment(ex Executor, p *Partition) error {
	if p.Whole() {
		return nil
	}
	if _, ok := ex.(builtin); !ok {
		return fmt.Errorf("executor %s is not one of the engine's: it cannot run a segment", ex.Name())
	}
	sh, _ := planShare(ex, p)
	if len(sh.VUs) == 0 && len(sh.Iterations) > 0 {
		return fmt.Errorf("segment %s of %s has %d iterations and no VU: give the scenario at least as many VUs as there are segments, or use fewer",
			p.Segment(), p.Sequence(), len(sh.Iterations))
	}
	return nil
}

// segmentNote tells, in a scenario's description, which part of it a
// segmented run ran.
func segmentNote(ex Executor, p *Partition) string {
	if p.Whole() {
		return ""
	}
	sh, ok := planShare(ex, p)
	if !ok {
		return ""
	}
	note := fmt.Sprintf("; segment %s of %s: %d VUs", p.Segment(), p.Sequence(), len(sh.VUs))
	if sh.Iterations != nil {
		note += fmt.Sprintf(", %d iterations", len(sh.Iterations))
	}
	return note
}
