package loadtests

import (
	"sync/atomic"
	"time"
)

// LateBound is how late after its schedule an arrival-rate iteration may
// start before it counts as late: past it, the generator is not keeping
// up with the rate it was asked for.
const LateBound = 100 * time.Millisecond

// lateness counts iterations that started behind their schedule.
type lateness struct {
	count atomic.Int64
	max   atomic.Int64
}

func (e *engine) late(d time.Duration) {
	if d <= LateBound {
		return
	}
	e.lateness.count.Add(1)
	for {
		m := e.lateness.max.Load()
		if int64(d) <= m || e.lateness.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}
