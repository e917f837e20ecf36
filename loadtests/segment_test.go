package loadtests

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

func TestParseSegmentAndSequence(t *testing.T) {
	from, to, err := ParseSegment("1/3:2/3")
	if err != nil || from.Cmp(big.NewRat(1, 3)) != 0 || to.Cmp(big.NewRat(2, 3)) != 0 {
		t.Fatalf("ParseSegment(1/3:2/3) = %v, %v, %v", from, to, err)
	}
	if from, to, err = ParseSegment("50%"); err != nil || from.Sign() != 0 || to.Cmp(big.NewRat(1, 2)) != 0 {
		t.Errorf("ParseSegment(50%%) = %v, %v, %v; want 0, 1/2", from, to, err)
	}
	for _, bad := range []string{"2/3:1/3", "0:1.5", "x:1", "-1/3:1", "1/3:1/3"} {
		if _, _, err := ParseSegment(bad); err == nil {
			t.Errorf("ParseSegment(%q): no error", bad)
		}
	}
	seq, err := ParseSegmentSequence("0,1/3,2/3,1")
	if err != nil || len(seq) != 4 {
		t.Fatalf("ParseSegmentSequence = %v, %v", seq, err)
	}
	for _, bad := range []string{"0,2/3,1/3,1", "1/3,1", "0,1/2", "0,x,1"} {
		if _, err := ParseSegmentSequence(bad); err == nil {
			t.Errorf("ParseSegmentSequence(%q): no error", bad)
		}
	}
	if _, err := NewPartition(big.NewRat(1, 4), big.NewRat(1, 2), seq); err == nil {
		t.Error("a segment that is not one of the sequence's was accepted")
	}
	if i, n, err := ParseShard("2/3"); err != nil || i != 2 || n != 3 {
		t.Errorf("ParseShard(2/3) = %d, %d, %v", i, n, err)
	}
	for _, bad := range []string{"3/3", "-1/3", "1", "a/b", "0/0"} {
		if _, _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q): no error", bad)
		}
	}
}

// randomSequences returns sequences of 1 to 6 uneven segments, with
// denominators up to 12, and the three equal thirds.
func randomSequences(n int) [][]*big.Rat {
	rng := rand.New(rand.NewPCG(12, 34))
	out := [][]*big.Rat{ShardSequence(3), ShardSequence(1), {big.NewRat(0, 1), big.NewRat(1, 10), big.NewRat(1, 1)}}
	for len(out) < n {
		cuts := map[string]*big.Rat{}
		for range rng.IntN(6) {
			d := int64(2 + rng.IntN(11))
			r := big.NewRat(1+rng.Int64N(d-1), d)
			cuts[r.RatString()] = r
		}
		seq := []*big.Rat{big.NewRat(0, 1), big.NewRat(1, 1)}
		for _, r := range cuts {
			seq = append(seq, r)
		}
		slices.SortFunc(seq, func(a, b *big.Rat) int { return a.Cmp(b) })
		out = append(out, seq)
	}
	return out
}

func partsOf(t *testing.T, seq []*big.Rat) []*Partition {
	t.Helper()
	var parts []*Partition
	for i := 0; i+1 < len(seq); i++ {
		p, err := NewPartition(seq[i], seq[i+1], seq)
		if err != nil {
			t.Fatalf("NewPartition: %v", err)
		}
		parts = append(parts, p)
	}
	return parts
}

func TestPartitionOwnsEachIndexExactlyOnce(t *testing.T) {
	for _, seq := range randomSequences(60) {
		parts := partsOf(t, seq)
		const n = 500
		for i := range int64(n) {
			owners := 0
			for _, p := range parts {
				if p.Owns(i) {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("sequence %s: index %d owned by %d parts", formatSequence(seq), i, owners)
			}
		}
		for _, p := range parts {
			// Striped: each part's count of any prefix is within one cycle's
			// rounding of its share.
			w := scaleRat(new(big.Rat).Sub(p.to, p.from), p.cycle)
			for _, m := range []int64{0, 1, 7, 100, n} {
				if got := p.Count(m); got != int64(len(p.Indices(m))) {
					t.Fatalf("Count(%d) = %d, Indices has %d", m, got, len(p.Indices(m)))
				}
			}
			if got, want := p.Count(n*p.cycle), w*n; got != want {
				t.Errorf("segment %s: %v of %d cycles, want %v", p.Segment(), got, n, want)
			}
		}
	}
}

// shardExecutors are the six executors, each as a plan's scenario would
// set it up.
func shardExecutors() []Executor {
	return []Executor{
		ConstantVUs{VUs: 13, Duration: 95 * time.Millisecond},
		// No VU starts or stops when another VU's iteration ends: a tie
		// on the fake clock would leave the order to the scheduler.
		RampingVUs{StartVUs: 2, Stages: []Stage{{41 * time.Millisecond, 17}, {31 * time.Millisecond, 17}, {29 * time.Millisecond, 5}}, GracefulRampDown: -1},
		SharedIterations{VUs: 12, Iterations: 101},
		PerVUIterations{VUs: 14, Iterations: 3},
		ConstantArrivalRate{Rate: 370, Duration: 200 * time.Millisecond, PreAllocatedVUs: 12, MaxVUs: 40},
		RampingArrivalRate{StartRate: 50, Stages: []Stage{{100 * time.Millisecond, 900}, {100 * time.Millisecond, 0}}, PreAllocatedVUs: 12, MaxVUs: 40},
	}
}

func sorted[T any](s []T, less func(a, b T) int) []T {
	s = slices.Clone(s)
	slices.SortFunc(s, less)
	return s
}

// TestShareUnionIsTheWholeRun checks the planned split: over every part of
// a sequence, the VU ids, iteration ids and start times add up to those of
// the unsharded run, each exactly once.
func TestShareUnionIsTheWholeRun(t *testing.T) {
	cmp64 := func(a, b int64) int { return int(a - b) }
	for _, ex := range shardExecutors() {
		whole, ok := planShare(ex, nil)
		if !ok {
			t.Fatalf("%s: no plan", ex.Name())
		}
		for _, seq := range randomSequences(40) {
			var u share
			startOf := map[int64]time.Duration{}
			for _, p := range partsOf(t, seq) {
				sh, _ := planShare(ex, p)
				u.VUs = append(u.VUs, sh.VUs...)
				u.VUStarts = append(u.VUStarts, sh.VUStarts...)
				u.Iterations = append(u.Iterations, sh.Iterations...)
				for i, id := range sh.Iterations {
					if sh.Starts != nil {
						startOf[id] = sh.Starts[i]
					}
				}
			}
			name := fmt.Sprintf("%s over %s", ex.Name(), formatSequence(seq))
			if !slices.Equal(sorted(u.VUs, cmp64), whole.VUs) {
				t.Errorf("%s: VU ids %v, want %v", name, sorted(u.VUs, cmp64), whole.VUs)
			}
			if !slices.Equal(sorted(u.Iterations, cmp64), whole.Iterations) {
				t.Errorf("%s: %d iteration ids, want %d, each once", name, len(u.Iterations), len(whole.Iterations))
			}
			byStart := func(a, b vuStart) int {
				if a.At != b.At {
					return int(a.At - b.At)
				}
				return int(a.VU - b.VU)
			}
			if !slices.Equal(sorted(u.VUStarts, byStart), sorted(whole.VUStarts, byStart)) {
				t.Errorf("%s: VU starts differ from the whole run's", name)
			}
			for i, id := range whole.Iterations {
				if whole.Starts != nil && startOf[id] != whole.Starts[i] {
					t.Errorf("%s: iteration %d starts at %v, want %v", name, id, startOf[id], whole.Starts[i])
				}
			}
		}
	}
}

// shardRun is what a run of one part did, measured on the fake clock.
type shardRun struct {
	complete, vus int64
	starts        []time.Duration
}

func runShard(t *testing.T, ex Executor, p *Partition) shardRun {
	t.Helper()
	var mu sync.Mutex
	var starts []time.Duration
	var t0 time.Time
	s := runPlan(t, noServer, Scenario{
		Executor:     ex,
		GracefulStop: -1,
		User: Func("tick", func(vu *VU) error {
			mu.Lock()
			starts = append(starts, time.Since(t0))
			mu.Unlock()
			return vu.Sleep(10 * time.Millisecond)
		}),
	}, Options{Segment: p, Outputs: []Output{startClock{&t0}}})
	slices.Sort(starts)
	return shardRun{complete: s.Iterations.Complete, vus: s.VUsMax, starts: starts}
}

// startClock notes when the run starts.
type startClock struct{ t *time.Time }

func (c startClock) Start(info RunInfo) error  { *c.t = info.Start; return nil }
func (startClock) AddSamples([]Sample)         {}
func (startClock) Stop(*metrics.Summary) error { return nil }

// TestShardedRunsAddUpToTheWholeRun runs each executor whole and as every
// part of uneven sequences, on the fake clock, and checks that the parts'
// iterations, VUs and iteration start times add up exactly to the whole
// run's (shared-iterations hands its iterations to whichever VU is free,
// so its start times depend on how many VUs a part has: counts only).
func TestShardedRunsAddUpToTheWholeRun(t *testing.T) {
	seqs := randomSequences(6)
	for _, ex := range shardExecutors() {
		t.Run(ex.Name(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				whole := runShard(t, ex, nil)
				if whole.complete == 0 {
					t.Fatal("the whole run ran no iteration")
				}
				ran := 0
				for _, seq := range seqs {
					var u shardRun
					parts := partsOf(t, seq)
					if refused(ex, parts) {
						continue // TestSegmentWithoutVUsIsRefused
					}
					ran++
					for _, p := range parts {
						r := runShard(t, ex, p)
						u.complete += r.complete
						u.vus += r.vus
						u.starts = append(u.starts, r.starts...)
					}
					name := formatSequence(seq)
					if u.complete != whole.complete {
						t.Errorf("%s: parts completed %d iterations, the whole run %d", name, u.complete, whole.complete)
					}
					switch ex.(type) {
					case ConstantVUs, RampingVUs, PerVUIterations:
						if u.vus != whole.vus {
							t.Errorf("%s: parts allocated %d VUs, the whole run %d", name, u.vus, whole.vus)
						}
					}
					// An arrival-rate part allocates VUs as its own load needs
					// (its pool's bounds add up: TestShareUnionIsTheWholeRun).
					if _, shared := ex.(SharedIterations); !shared {
						slices.Sort(u.starts)
						if !slices.Equal(u.starts, whole.starts) {
							t.Errorf("%s: iteration start times differ from the whole run's", name)
						}
					}
				}
				if ran < 3 {
					t.Errorf("only %d sequences could split the scenario", ran)
				}
			})
		})
	}
}

func refused(ex Executor, parts []*Partition) bool {
	for _, p := range parts {
		if checkSegment(ex, p) != nil {
			return true
		}
	}
	return false
}

func TestSegmentWithoutVUsIsRefused(t *testing.T) {
	// 2 VUs in 3 parts: one part would have iterations and no VU to run
	// them, and its share would be lost; the run is refused up front.
	plan := Plan{Name: "p", Scenarios: []Scenario{{Name: "s", Executor: SharedIterations{VUs: 2, Iterations: 30}, User: Func("x", func(*VU) error { return nil })}}}
	var errs int
	for _, p := range partsOf(t, ShardSequence(3)) {
		if err := Validate(plan, Options{Endpoint: noServer, Segment: p}); err != nil {
			errs++
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no VU") {
				t.Errorf("error %q: want ErrInvalid naming the missing VU", err)
			}
		}
	}
	if errs != 1 {
		t.Errorf("%d parts refused, want 1", errs)
	}
}

// TestTeardownRunsOnceAcrossSegments: the plan's teardown runs on the one
// segment that owns global index 0, so its findings are not counted once
// per shard.
func TestTeardownRunsOnceAcrossSegments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, seq := range randomSequences(8) {
			var teardowns int
			for _, p := range partsOf(t, seq) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err := Run(ctx, Plan{Name: "p", Scenarios: []Scenario{{Name: "s",
					Executor: ConstantVUs{VUs: 20, Duration: 10 * time.Millisecond},
					User:     Func("x", func(vu *VU) error { return vu.Sleep(time.Millisecond) })}},
					Teardown: func(*VU) error { teardowns++; return nil }},
					Options{Endpoint: noServer, Segment: p})
				cancel()
				if err != nil {
					t.Fatal(err)
				}
			}
			if teardowns != 1 {
				t.Errorf("%s: teardown ran %d times, want once", formatSequence(seq), teardowns)
			}
		}
	})
}
