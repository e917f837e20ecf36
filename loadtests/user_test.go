package loadtests

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestWeightedTasks(t *testing.T) {
	srv := newCountingServer(t)
	var light, heavy atomic.Int64
	runPlan(t, srv.URL, Scenario{
		Executor: SharedIterations{VUs: 4, Iterations: 800},
		User: User{Tasks: []Task{
			{Name: "light", Weight: 1, Run: func(*VU) error { light.Add(1); return nil }},
			{Name: "heavy", Weight: 3, Run: func(*VU) error { heavy.Add(1); return nil }},
		}},
	}, Options{})
	// 200 expected with a standard deviation near 12: 140-260 is five of them.
	if l, h := light.Load(), heavy.Load(); l+h != 800 || l < 140 || l > 260 {
		t.Errorf("light/heavy: got %d/%d, want about 200/600", l, h)
	}
}

func TestUserStartsOnceAndStopsOncePerVU(t *testing.T) {
	srv := newCountingServer(t)
	var mu sync.Mutex
	starts, stops, tasks := map[int]int{}, map[int]int{}, map[int]int{}
	failedOnce := map[int]bool{}
	s := runPlan(t, srv.URL, Scenario{
		Executor: PerVUIterations{VUs: 3, Iterations: 5},
		User: User{
			OnStart: func(vu *VU) error {
				mu.Lock()
				defer mu.Unlock()
				// Each VU's first start fails: the next iteration tries again.
				if !failedOnce[vu.ID] {
					failedOnce[vu.ID] = true
					return errors.New("login refused")
				}
				starts[vu.ID]++
				return nil
			},
			Tasks: []Task{{Name: "task", Run: func(vu *VU) error {
				mu.Lock()
				tasks[vu.ID]++
				mu.Unlock()
				return nil
			}}},
			OnStop: func(vu *VU) error {
				mu.Lock()
				stops[vu.ID]++
				mu.Unlock()
				return nil
			},
		},
	}, Options{})
	for id := range failedOnce {
		if starts[id] != 1 || stops[id] != 1 || tasks[id] != 4 {
			t.Errorf("VU %d: %d starts, %d stops, %d tasks; want 1, 1, 4", id, starts[id], stops[id], tasks[id])
		}
	}
	if len(failedOnce) != 3 {
		t.Errorf("VUs: got %d, want 3", len(failedOnce))
	}
	if len(s.Errors) != 1 || s.Errors[0].Count != 3 || s.Errors[0].Message != "on start: login refused" {
		t.Errorf("errors: got %+v, want one group of 3 'on start: login refused'", s.Errors)
	}
}

func TestWaitTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	between := Between(5*time.Second, 15*time.Second)
	lo, hi := time.Hour, time.Duration(0)
	for range 2000 {
		d := between(rng, 0)
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 5*time.Second || hi > 15*time.Second || hi-lo < 9*time.Second {
		t.Errorf("Between(5s, 15s) drew from %v to %v, want the whole range within bounds", lo, hi)
	}
	cases := []struct {
		name string
		wait WaitTime
		took time.Duration
		want time.Duration
	}{
		{"constant", Constant(2 * time.Second), time.Second, 2 * time.Second},
		{"pacing fills the rest", ConstantPacing(10 * time.Second), 3 * time.Second, 7 * time.Second},
		{"pacing after a slow task", ConstantPacing(10 * time.Second), 12 * time.Second, 0},
		{"between with equal bounds", Between(time.Second, time.Second), 0, time.Second},
	}
	for _, tc := range cases {
		if got := tc.wait(rng, tc.took); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTimeScaleCompressesSleeps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Ten one-second sleeps in a one-minute scenario, at a hundredth
		// of the time: each iteration takes 10ms of the fake clock.
		start := time.Now()
		s := runPlan(t, noServer, Scenario{
			Executor: SharedIterations{VUs: 1, Iterations: 10, MaxDuration: time.Minute},
			User:     Func("sleep", func(vu *VU) error { return vu.Sleep(time.Second) }),
		}, Options{TimeScale: 0.01})
		if s.Iterations.Complete != 10 {
			t.Errorf("iterations: got %d, want 10", s.Iterations.Complete)
		}
		// The histogram keeps three significant digits.
		if got := s.Iterations.Duration.Max(); got < 10*time.Millisecond || got > 10010*time.Microsecond {
			t.Errorf("longest iteration: got %v, want 10ms", got)
		}
		if got := time.Since(start); got != 100*time.Millisecond || s.Elapsed() != got {
			t.Errorf("run: took %v (summary says %v), want 100ms", got, s.Elapsed())
		}
	})
}

func TestVUsScale(t *testing.T) {
	cases := []struct {
		name string
		exec Executor
		f    float64
		want Executor
	}{
		{"shared iterations keep each VU's share", SharedIterations{VUs: 20, Iterations: 400}, 0.1,
			SharedIterations{VUs: 2, Iterations: 40, MaxDuration: DefaultMaxDuration}},
		{"a VU count never scales to zero", ConstantVUs{VUs: 3, Duration: time.Minute}, 0.01,
			ConstantVUs{VUs: 1, Duration: time.Minute}},
	}
	for _, tc := range cases {
		got := execScaled(tc.exec, 1, tc.f)
		if execDescribe(got, 0) != execDescribe(tc.want, 0) {
			t.Errorf("%s: got %s, want %s", tc.name, execDescribe(got, 0), execDescribe(tc.want, 0))
		}
	}
	r := RampingVUs{StartVUs: 1, Stages: []Stage{{Duration: 2 * time.Minute, Target: 2500}}}.scaled(0.01, 0.02).(RampingVUs)
	if r.Stages[0].Target != 50 || r.Stages[0].Duration != 1200*time.Millisecond || r.gracefulRampDown() != 300*time.Millisecond {
		t.Errorf("ramping-vus scaled: got %+v, ramp down %v", r, r.gracefulRampDown())
	}
}
