package loadtests

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// scenarioRun is one scenario while it runs: the VU loop the executors drive.
type scenarioRun struct {
	eng *engine
	sc  Scenario

	// stop is done when no new iteration may start: the executor's time
	// is up or the run is stopping. hard is done when running iterations
	// are interrupted: GracefulStop after stop, or when the executor ends.
	stop, hard context.Context

	startedAt   atomic.Int64 // nanoseconds since the run's epoch, 0 before start
	active      atomic.Int64 // VUs running iterations
	allocated   atomic.Int64 // VUs created for this scenario
	complete    atomic.Int64
	interrupted atomic.Int64

	mu   sync.Mutex
	free []*VU
	all  []*VU
}

func (s *scenarioRun) run(ctx context.Context) {
	if d := s.sc.StartTime; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if ctx.Err() != nil {
		return
	}
	s.startedAt.Store(int64(time.Since(s.eng.epoch)))
	var cancelStop context.CancelFunc
	if d := execDuration(s.sc.Executor); d > 0 {
		s.stop, cancelStop = context.WithTimeout(ctx, d)
	} else {
		s.stop, cancelStop = context.WithCancel(ctx)
	}
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	s.hard = hard
	var grace *time.Timer
	var graceMu sync.Mutex
	unhook := context.AfterFunc(s.stop, func() {
		graceMu.Lock()
		grace = time.AfterFunc(s.sc.GracefulStop, cancelHard)
		graceMu.Unlock()
	})

	s.runExecutor()

	unhook()
	cancelStop()
	cancelHard()
	graceMu.Lock()
	if grace != nil {
		grace.Stop()
	}
	graceMu.Unlock()
	s.mu.Lock()
	for _, vu := range s.all {
		vu.close()
	}
	s.mu.Unlock()
}

// elapsed returns how long the scenario has been running at now.
func (s *scenarioRun) elapsed(now time.Time) time.Duration {
	at := s.startedAt.Load()
	if at == 0 {
		return 0
	}
	return max(now.Sub(s.eng.epoch)-time.Duration(at), 0)
}

// getVU returns an idle VU of the scenario, creating one when none is idle.
func (s *scenarioRun) getVU() *VU {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		vu := s.free[n-1]
		s.free = s.free[:n-1]
		return vu
	}
	vu := s.eng.newVU(s.sc.Name)
	s.all = append(s.all, vu)
	s.allocated.Add(1)
	return vu
}

// putVU makes vu idle again.
func (s *scenarioRun) putVU(vu *VU) {
	s.mu.Lock()
	s.free = append(s.free, vu)
	s.mu.Unlock()
}

// loop runs iterations on vu until soft is done or claim refuses one;
// iterations run under hard.
func (s *scenarioRun) loop(vu *VU, soft, hard context.Context, claim func() bool) {
	for soft.Err() == nil && hard.Err() == nil {
		if claim != nil && !claim() {
			return
		}
		s.iterate(vu, hard)
	}
}

// iterate runs one iteration on vu and records it; an iteration still
// running when ctx ends counts as interrupted.
func (s *scenarioRun) iterate(vu *VU, ctx context.Context) {
	vu.ctx = ctx
	vu.lastName, vu.lastSeen = "", ""
	start := time.Now()
	err := s.sc.User.iterate(vu)
	vu.Iteration++
	interrupted := ctx.Err() != nil
	vu.shard.Iteration(time.Since(start), interrupted)
	if interrupted {
		s.interrupted.Add(1)
		return
	}
	s.complete.Add(1)
	if err != nil {
		vu.shard.Error(s.sc.Name, "iteration", err.Error())
	}
}

// retire runs the user's OnStop on a VU leaving the scenario, on a context
// of its own bounded by the request timeout.
func (s *scenarioRun) retire(vu *VU) {
	if !vu.started {
		return
	}
	vu.started = false
	if s.sc.User.OnStop == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.hard), s.eng.requestTimeout)
	defer cancel()
	vu.ctx = ctx
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return s.sc.User.OnStop(vu)
	}()
	if err != nil {
		vu.shard.Error(s.sc.Name, "iteration", "on stop: "+err.Error())
	}
}

// runVU runs vu's loop as an active VU, then retires it.
func (s *scenarioRun) runVU(vu *VU, soft, hard context.Context, claim func() bool) {
	s.active.Add(1)
	s.loop(vu, soft, hard, claim)
	s.active.Add(-1)
	s.retire(vu)
}

// formatting helpers shared by the executors' descriptions.

func fmtDuration(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}

func gracefulNote(gracefulStop time.Duration) string {
	return "gracefulStop: " + fmtDuration(gracefulStop)
}
