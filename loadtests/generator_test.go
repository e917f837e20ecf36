package loadtests

import (
	"context"
	"crypto/sha256"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// fakeCPU is a process CPU clock the test moves by hand.
type fakeCPU struct {
	used    time.Duration
	unknown bool
}

func (f *fakeCPU) read() (time.Duration, bool) { return f.used, !f.unknown }

// fakeSched is a scheduling-latency histogram the test fills by hand:
// buckets of 1ms, 10ms, 100ms and more.
type fakeSched struct{ counts []uint64 }

func (f *fakeSched) read() ([]uint64, []float64) {
	return f.counts, []float64{0, 0.001, 0.01, 0.1, 1}
}

func TestGeneratorSaturationJudgement(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	type second struct {
		cpu  time.Duration // CPU used during that second
		wait []uint64      // goroutines that waited, per bucket, during it
	}
	cases := []struct {
		name      string
		cores     int
		seconds   []second
		unknown   bool
		wantCPU   float64
		wantWait  time.Duration
		saturated bool
		reason    string
	}{
		{"half of two cores is not saturated", 2,
			[]second{{time.Second, nil}, {time.Second, nil}, {time.Second, nil}}, false, 0.5, 0, false, ""},
		{"95% of two cores is", 2,
			[]second{{1900 * time.Millisecond, nil}, {1900 * time.Millisecond, nil}, {1900 * time.Millisecond, nil}}, false, 0.95, 0, true, "CPU reached 95% of the 2 core(s)"},
		// A window averages: one second at full CPU between two idle ones
		// does not count.
		{"a spike shorter than the window", 1,
			[]second{{0, nil}, {time.Second, nil}, {0, nil}}, false, 0.5, 0, false, ""},
		{"a run shorter than the window is not judged", 1,
			[]second{{time.Second, nil}}, false, 0, 0, false, ""},
		{"ready goroutines waiting 100ms for a core", 4,
			[]second{{time.Second, []uint64{50, 0, 10, 40}}, {time.Second, []uint64{50, 0, 10, 40}}}, false, 0.25, time.Second, true, "waited more than 1s for a core"},
		{"ready goroutines starting within 10ms", 4,
			[]second{{time.Second, []uint64{80, 20, 0, 0}}, {time.Second, []uint64{80, 20, 0, 0}}}, false, 0.25, 10 * time.Millisecond, false, ""},
		{"a platform without CPU time", 1,
			[]second{{time.Second, nil}, {time.Second, nil}, {time.Second, nil}}, true, -1, 0, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cpu := &fakeCPU{unknown: tc.unknown}
			sched := &fakeSched{counts: make([]uint64, 4)}
			m := newCPUMonitor(tc.cores, cpu.read, sched.read)
			m.sample(t0)
			for i, s := range tc.seconds {
				cpu.used += s.cpu
				for b, n := range s.wait {
					sched.counts[b] += n
				}
				m.sample(t0.Add(time.Duration(i+1) * time.Second))
			}
			g := m.generator(&lateness{})
			if g.CPU != tc.wantCPU || g.Wait != tc.wantWait || g.Saturated != tc.saturated || g.Cores != tc.cores {
				t.Errorf("got CPU %v, wait %v, saturated %v on %d cores; want %v, %v, %v on %d (reasons %q)",
					g.CPU, g.Wait, g.Saturated, g.Cores, tc.wantCPU, tc.wantWait, tc.saturated, tc.cores, g.Reasons)
			}
			if got := strings.Join(g.Reasons, "; "); !strings.Contains(got, tc.reason) {
				t.Errorf("reasons: got %q, want %q in them", got, tc.reason)
			}
		})
	}
}

func TestLateIterationsSaturate(t *testing.T) {
	e := &engine{}
	e.late(LateBound) // on the bound: not late
	e.late(LateBound + time.Millisecond)
	e.late(300 * time.Millisecond)
	g := newCPUMonitor(1, (&fakeCPU{}).read, nil).generator(&e.lateness)
	if g.LateIterations != 2 || g.MaxLate != 300*time.Millisecond || !g.Saturated {
		t.Errorf("got %d late up to %v, saturated %v; want 2 up to 300ms, saturated", g.LateIterations, g.MaxLate, g.Saturated)
	}
}

// On a fake clock, a run whose CPU clock says 95% of the cores is judged
// saturated, the summary says so, and generator_saturated==0 is crossed.
func TestSaturatedRunCrossesItsThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		cores := runtime.GOMAXPROCS(0)
		cpu := func() (time.Duration, bool) {
			return time.Duration(0.95 * float64(cores) * float64(time.Since(start))), true
		}
		plan := Plan{Name: "busy", Scenarios: []Scenario{{
			Name:     "sleepers",
			Executor: ConstantVUs{VUs: 2, Duration: 5 * time.Second},
			User:     Func("sleep", func(vu *VU) error { return vu.Sleep(300 * time.Millisecond) }),
		}}, Thresholds: []string{"generator_saturated==0"}}
		s, err := Run(context.Background(), plan, Options{Endpoint: "http://127.0.0.1:1", cpuTime: cpu})
		if err != nil {
			t.Fatal(err)
		}
		if !s.Generator.Saturated || s.Generator.CPU != 0.95 {
			t.Errorf("generator: got %+v, want saturated at 95%%", s.Generator)
		}
		if len(s.Thresholds) != 1 || s.Thresholds[0].OK || s.Thresholds[0].Observed != 1 {
			t.Errorf("thresholds: got %+v, want generator_saturated==0 crossed with 1 observed", s.Thresholds)
		}
		// 2 VUs, one iteration every 300ms for 5s: 17 each.
		if got := s.Iterations.Complete; got != 34 || s.Iterations.Interrupted != 0 {
			t.Errorf("iterations: got %d complete and %d interrupted, want 34 and 0", got, s.Iterations.Interrupted)
		}
	})
}

// spin burns CPU: a fixed amount of work, whatever the clock says.
func spin(n int) byte {
	sum := sha256.Sum256([]byte("loadtest"))
	for range n {
		sum = sha256.Sum256(sum[:])
	}
	return sum[0]
}

// A real run of CPU-bound VUs on one usable core is judged saturated.
func TestCPUBoundRunOnOneCoreIsSaturated(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	srv := newCountingServer(t)
	sc := Scenario{
		Name:     "hashers",
		Executor: ConstantVUs{VUs: 20, Duration: 3 * time.Second},
		User: Func("hash", func(vu *VU) error {
			vu.Get("/")
			vu.State = spin(20000) // kept, so the work is not optimised away
			return nil
		}),
		GracefulStop: -1,
	}
	plan := Plan{Name: "hashers", Scenarios: []Scenario{sc}, Thresholds: []string{"generator_saturated==0"}}
	s, err := Run(context.Background(), plan, Options{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	g := s.Generator
	if !g.Saturated || g.Cores != 1 || len(g.Reasons) == 0 {
		t.Fatalf("generator: got %+v, want saturated on 1 core", g)
	}
	if runtime.GOOS != "windows" && g.CPU <= 0 {
		t.Errorf("CPU: got %v, want it measured", g.CPU)
	}
	if s.Thresholds[0].OK {
		t.Errorf("generator_saturated==0: got %+v, want crossed", s.Thresholds[0])
	}
	t.Logf("generator: %+v", g)
}
