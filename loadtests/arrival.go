package loadtests

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// arrivals is the open model both arrival-rate executors share: iteration i
// (from 0) starts at the first time t when due(t) >= i, whether or not the
// earlier ones finished, on an idle VU. When every VU is busy a new one is
// created, up to maxVUs; past that the iteration is dropped and counted.
type arrivals struct {
	// due returns how many iterations are due by t, as a real number.
	due          func(t time.Duration) float64
	end          time.Duration
	preAllocated int
	maxVUs       int
}

// total returns how many iterations start before end.
func (a arrivals) total() int64 {
	return int64(math.Ceil(a.due(a.end) - 1e-9))
}

// startOf returns the time iteration i is due, by bisection on due.
func (a arrivals) startOf(i int64) time.Duration {
	lo, hi := time.Duration(0), a.end
	target := float64(i)
	if a.due(lo) >= target {
		return lo
	}
	for hi-lo > time.Microsecond {
		mid := lo + (hi-lo)/2
		if a.due(mid) >= target {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

func (a arrivals) run(s *scenarioRun) {
	// A segment starts the iterations of the global indices it owns, at
	// their times in the whole run, on its share of the VUs.
	part := s.eng.part
	a.preAllocated = int(part.Count(int64(a.preAllocated)))
	a.maxVUs = int(part.Count(int64(a.maxVUs)))
	vus := make([]*VU, a.preAllocated)
	for i := range vus {
		vus[i] = s.getVU()
	}
	for _, vu := range vus {
		s.putVU(vu)
	}
	var wg sync.WaitGroup
	start := time.Now()
	total := a.total()
	timer := time.NewTimer(0)
	<-timer.C
	defer timer.Stop()
	var next int64
	for next < total {
		for next < total && !part.Owns(next) {
			next++
		}
		if next == total {
			break
		}
		if wait := a.startOf(next) - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-s.stop.Done():
			case <-timer.C:
			}
		}
		elapsed := time.Since(start)
		stopped := s.stop.Err()
		if errors.Is(stopped, context.DeadlineExceeded) {
			// The scenario's time is up: every iteration due before its
			// end still starts (or is dropped), however late we woke.
			elapsed = a.end
		}
		// Catch up with every iteration due by now.
		due := min(int64(math.Floor(a.due(elapsed)+1e-9))+1, total)
		if stopped == nil && elapsed > LateBound {
			// Those due before elapsed-LateBound start late: the
			// generator did not wake in time to start them.
			if lateBy := min(int64(math.Floor(a.due(elapsed-LateBound)+1e-9))+1, due); lateBy > next {
				s.eng.lateness.add(part.Count(lateBy)-part.Count(next), elapsed-a.startOf(next))
			}
		}
		for ; next < due; next++ {
			if !part.Owns(next) {
				continue
			}
			vu := s.takeIdle(a.maxVUs)
			if vu == nil {
				s.eng.rec.Dropped(1)
				continue
			}
			s.active.Add(1)
			wg.Go(func() {
				s.iterate(vu, s.hard)
				s.active.Add(-1)
				s.putVU(vu)
			})
		}
		if stopped != nil {
			break
		}
	}
	wg.Wait()
	s.mu.Lock()
	idle := append([]*VU(nil), s.free...)
	s.mu.Unlock()
	for _, vu := range idle {
		s.retire(vu)
	}
}

// takeIdle returns an idle VU, a new one if there are fewer than limit, or
// nil when all limit VUs are busy.
func (s *scenarioRun) takeIdle(limit int) *VU {
	s.mu.Lock()
	if n := len(s.free); n > 0 {
		vu := s.free[n-1]
		s.free = s.free[:n-1]
		s.mu.Unlock()
		return vu
	}
	full := len(s.all) >= limit
	s.mu.Unlock()
	if full {
		return nil
	}
	return s.getVU()
}

func arrivalLimits(pre, maxVUs int) (int, int) {
	if maxVUs < pre {
		maxVUs = pre
	}
	return pre, maxVUs
}
