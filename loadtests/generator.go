package loadtests

import (
	"fmt"
	"math"
	rtmetrics "runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// When the generator counts as saturated, so that its figures understate
// the server: over CPUWindow, its CPU above SaturatedCPU of the cores it
// may use, or one goroutine in ten that was ready to run waiting more than
// SaturatedWait for a core (the VUs time their requests late: the cores
// are busy, ours or the machine's); or arrival-rate iterations starting
// more than LateBound behind their schedule.
const (
	SaturatedCPU  = 0.9
	SaturatedWait = 20 * time.Millisecond
	CPUWindow     = 2 * time.Second
	LateBound     = 100 * time.Millisecond
)

// lateness counts iterations that started behind their schedule.
type lateness struct {
	count atomic.Int64
	max   atomic.Int64
}

func (l *lateness) add(n int64, d time.Duration) {
	if n <= 0 {
		return
	}
	l.count.Add(n)
	for {
		m := l.max.Load()
		if int64(d) <= m || l.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

func (e *engine) late(d time.Duration) {
	if d > LateBound {
		e.lateness.add(1, d)
	}
}

// cpuMonitor samples the generator's CPU time and how long its ready
// goroutines wait for a core, and keeps the highest of each over
// CPUWindow.
type cpuMonitor struct {
	cores int
	cpu   func() (time.Duration, bool)
	// sched returns the cumulative histogram of how long goroutines
	// waited to run: counts per bucket, and the buckets' bounds in
	// seconds (one more than counts).
	sched func() (counts []uint64, bounds []float64)

	mu       sync.Mutex
	samples  []cpuSample // the last CPUWindow or so, oldest first
	peak     float64
	peakWait time.Duration
	unknown  bool
}

type cpuSample struct {
	at    time.Time
	cpu   time.Duration
	sched []uint64
}

func newCPUMonitor(cores int, cpu func() (time.Duration, bool), sched func() ([]uint64, []float64)) *cpuMonitor {
	return &cpuMonitor{cores: max(cores, 1), cpu: cpu, sched: sched}
}

// schedLatencies reads the runtime's histogram of scheduling latencies.
func schedLatencies() ([]uint64, []float64) {
	s := []rtmetrics.Sample{{Name: "/sched/latencies:seconds"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindFloat64Histogram {
		return nil, nil
	}
	h := s[0].Value.Float64Histogram()
	return h.Counts, h.Buckets
}

// quantile returns the q quantile of the difference of two cumulative
// histograms, as the upper bound of its bucket; 0 when nothing was added.
func quantile(now, base []uint64, bounds []float64, q float64) time.Duration {
	if len(now) != len(base) || len(bounds) != len(now)+1 {
		return 0
	}
	var total uint64
	for i := range now {
		total += now[i] - base[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i := range now {
		seen += now[i] - base[i]
		if seen >= rank {
			b := bounds[i+1]
			if math.IsInf(b, 1) {
				b = bounds[i]
			}
			return time.Duration(b * float64(time.Second))
		}
	}
	return 0
}

// sample reads the CPU time at now. Once a sample at least CPUWindow old
// is kept, the share over the window since the newest such sample counts.
func (m *cpuMonitor) sample(now time.Time) {
	c, ok := m.cpu()
	var sched []uint64
	var bounds []float64
	if m.sched != nil {
		counts, b := m.sched()
		sched, bounds = append([]uint64(nil), counts...), b
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !ok {
		m.unknown = true
	}
	m.samples = append(m.samples, cpuSample{now, c, sched})
	// Keep the newest sample at least CPUWindow old and those after it.
	from := -1
	for i, s := range m.samples {
		if now.Sub(s.at) >= CPUWindow {
			from = i
		}
	}
	if from < 0 {
		return
	}
	m.samples = m.samples[from:]
	base := m.samples[0]
	wall := now.Sub(base.at)
	if ok {
		share := float64(c-base.cpu) / (float64(wall) * float64(m.cores))
		m.peak = math.Max(m.peak, share)
	}
	m.peakWait = max(m.peakWait, quantile(sched, base.sched, bounds, 0.9))
}

// generator returns the judgement so far, with the lateness counted.
func (m *cpuMonitor) generator(late *lateness) metrics.Generator {
	m.mu.Lock()
	g := metrics.Generator{Cores: m.cores, CPU: m.peak, Wait: m.peakWait}
	unknown := m.unknown
	m.mu.Unlock()
	g.LateIterations = late.count.Load()
	g.MaxLate = time.Duration(late.max.Load())
	if g.CPU >= SaturatedCPU {
		g.Reasons = append(g.Reasons, fmt.Sprintf("its CPU reached %.0f%% of the %d core(s) it may use over %s", 100*g.CPU, g.Cores, CPUWindow))
	}
	if g.Wait > SaturatedWait {
		g.Reasons = append(g.Reasons, fmt.Sprintf("one goroutine in ten ready to run waited more than %s for a core over %s", g.Wait.Round(time.Millisecond), CPUWindow))
	}
	if g.LateIterations > 0 {
		g.Reasons = append(g.Reasons, fmt.Sprintf("%d arrival-rate iterations started more than %s behind their schedule (up to %s)",
			g.LateIterations, LateBound, g.MaxLate.Round(time.Millisecond)))
	}
	g.Saturated = len(g.Reasons) > 0
	if unknown {
		g.CPU = -1
	}
	return g
}
