package loadtests

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// User is the behaviour of one kind of virtual user, in Locust's terms: it
// starts (OnStart, such as a login), then each iteration runs one task
// chosen by weight and waits; when the VU stops, OnStop runs. Any executor
// can run a User.
//
// The first iteration of a VU runs OnStart before its task. When OnStart
// fails, the iteration ends there (the error is counted) and the next one
// tries OnStart again.
type User struct {
	OnStart func(vu *VU) error
	Tasks   []Task
	// Wait is the pause after each task; nil means none.
	Wait WaitTime
	// OnStop runs once when the VU stops, if OnStart succeeded; it is not
	// interrupted by the end of the scenario, but bounded by the request
	// timeout.
	OnStop func(vu *VU) error
}

// Task is one weighted action of a User.
type Task struct {
	Name string
	// Weight makes a task more likely than others; zero counts as one.
	Weight int
	Run    func(vu *VU) error
}

// Func makes a User of a single function, as a k6 script's default
// function: every iteration calls f.
func Func(name string, f func(vu *VU) error) User {
	return User{Tasks: []Task{{Name: name, Weight: 1, Run: f}}}
}

// WaitTime returns how long a user waits after a task that took taskTime
// (on the scenario's own clock, before time scaling).
type WaitTime func(rng *rand.Rand, taskTime time.Duration) time.Duration

// Between waits a uniformly random time between lo and hi, as Locust's
// between(min, max) (and the seeds' min_wait and max_wait).
func Between(lo, hi time.Duration) WaitTime {
	if hi < lo {
		lo, hi = hi, lo
	}
	return func(rng *rand.Rand, _ time.Duration) time.Duration {
		if hi == lo {
			return lo
		}
		return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
	}
}

// Constant always waits d.
func Constant(d time.Duration) WaitTime {
	return func(*rand.Rand, time.Duration) time.Duration { return d }
}

// ConstantPacing waits so that each task and its wait take d together (at
// least): a task that took longer than d is followed by no wait.
func ConstantPacing(d time.Duration) WaitTime {
	return func(_ *rand.Rand, taskTime time.Duration) time.Duration {
		return max(d-taskTime, 0)
	}
}

func (u *User) validate() error {
	if len(u.Tasks) == 0 {
		return fmt.Errorf("the user has no tasks")
	}
	for i, t := range u.Tasks {
		if t.Run == nil {
			return fmt.Errorf("task %d (%q) has no Run function", i+1, t.Name)
		}
		if t.Weight < 0 {
			return fmt.Errorf("task %q has a negative weight", t.Name)
		}
	}
	return nil
}

func (u *User) pick(rng *rand.Rand) *Task {
	if len(u.Tasks) == 1 {
		return &u.Tasks[0]
	}
	total := 0
	for _, t := range u.Tasks {
		total += max(t.Weight, 1)
	}
	n := rng.IntN(total)
	for i := range u.Tasks {
		n -= max(u.Tasks[i].Weight, 1)
		if n < 0 {
			return &u.Tasks[i]
		}
	}
	return &u.Tasks[len(u.Tasks)-1]
}

// iterate runs one iteration of u on vu: start if needed, one task, the wait.
func (u *User) iterate(vu *VU) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	began := time.Now()
	if !vu.started {
		if u.OnStart != nil {
			err = u.OnStart(vu)
			if err != nil {
				err = fmt.Errorf("on start: %w", err)
			}
		}
		vu.started = err == nil
	}
	if err == nil {
		t := u.pick(vu.rng)
		if err = t.Run(vu); err != nil && t.Name != "" {
			err = fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	if u.Wait != nil && vu.ctx.Err() == nil {
		taken := vu.run.unscaleTime(time.Since(began))
		if werr := vu.Sleep(u.Wait(vu.rng, taken)); err == nil {
			err = werr
		}
	}
	return err
}
