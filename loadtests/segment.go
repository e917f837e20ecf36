package loadtests

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// MaxSegmentCycle bounds the least common denominator of a segment
// sequence: the stripe pattern repeats every that many VUs or iterations.
const MaxSegmentCycle = 1 << 20

// Partition is one part of a run split into segments, as k6's execution
// segments: the sequence 0 = b0 < b1 < ... < bn = 1 cuts [0, 1) into
// segments, and this run is segment [From, To) of it. Every VU and every
// iteration of a scenario has a global index; the partition says which of
// them this part owns, striped so that each part gets its share of every
// stretch of indices, and so that the parts of one sequence own each index
// exactly once: the union of the parts is the whole run.
//
// A nil *Partition is the whole run.
type Partition struct {
	from, to *big.Rat
	seq      []*big.Rat
	cycle    int64
	// owned[p] says whether this part owns position p of the cycle;
	// prefix[p] counts the owned positions before p.
	owned  []bool
	prefix []int64
}

// ParseRat parses "1/3", "0.25", "50%" or "1" as a rational number.
func ParseRat(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		r, ok := new(big.Rat).SetString(p)
		if !ok {
			return nil, fmt.Errorf("%q: not a number", s)
		}
		return r.Quo(r, big.NewRat(100, 1)), nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q: not a number or fraction such as 1/3", s)
	}
	return r, nil
}

// ParseSegment parses k6's --execution-segment syntax: "FROM:TO" such as
// "1/3:2/3", or "TO" alone meaning "0:TO".
func ParseSegment(s string) (from, to *big.Rat, err error) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		a, b = "0", a
	}
	if from, err = ParseRat(a); err != nil {
		return nil, nil, fmt.Errorf("segment %q: %w", s, err)
	}
	if to, err = ParseRat(b); err != nil {
		return nil, nil, fmt.Errorf("segment %q: %w", s, err)
	}
	if from.Sign() < 0 || to.Cmp(big.NewRat(1, 1)) > 0 || from.Cmp(to) >= 0 {
		return nil, nil, fmt.Errorf("segment %q: want 0 <= FROM < TO <= 1", s)
	}
	return from, to, nil
}

// ParseSegmentSequence parses k6's --execution-segment-sequence syntax,
// such as "0,1/3,2/3,1": increasing boundaries from 0 to 1.
func ParseSegmentSequence(s string) ([]*big.Rat, error) {
	var seq []*big.Rat
	for _, part := range strings.Split(s, ",") {
		r, err := ParseRat(part)
		if err != nil {
			return nil, fmt.Errorf("segment sequence %q: %w", s, err)
		}
		if n := len(seq); n > 0 && r.Cmp(seq[n-1]) <= 0 {
			return nil, fmt.Errorf("segment sequence %q: boundaries must increase", s)
		}
		seq = append(seq, r)
	}
	if len(seq) < 2 || seq[0].Sign() != 0 || seq[len(seq)-1].Cmp(big.NewRat(1, 1)) != 0 {
		return nil, fmt.Errorf("segment sequence %q: want boundaries from 0 to 1, such as 0,1/3,2/3,1", s)
	}
	return seq, nil
}

// ShardSequence returns the sequence of n equal segments, 0,1/n,...,1.
func ShardSequence(n int) []*big.Rat {
	seq := make([]*big.Rat, n+1)
	for i := range seq {
		seq[i] = big.NewRat(int64(i), int64(n))
	}
	return seq
}

// ParseShard parses "I/N": shard I (from 0, as a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX) of N equal ones.
func ParseShard(s string) (index, count int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		index, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			count, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || count <= 0 || index < 0 || index >= count {
		return 0, 0, fmt.Errorf("shard %q: want I/N with 0 <= I < N, such as 0/3", s)
	}
	return index, count, nil
}

// NewPartition returns segment [from, to) of seq. A nil seq means the
// sequence 0, from, to, 1, as in k6; otherwise from and to must be
// consecutive boundaries of seq.
func NewPartition(from, to *big.Rat, seq []*big.Rat) (*Partition, error) {
	one := big.NewRat(1, 1)
	if from.Sign() < 0 || to.Cmp(one) > 0 || from.Cmp(to) >= 0 {
		return nil, fmt.Errorf("segment %s:%s: want 0 <= FROM < TO <= 1", from.RatString(), to.RatString())
	}
	if seq == nil {
		seq = []*big.Rat{new(big.Rat)}
		for _, b := range []*big.Rat{from, to, one} {
			if b.Cmp(seq[len(seq)-1]) > 0 {
				seq = append(seq, b)
			}
		}
	}
	found := false
	for i := 0; i+1 < len(seq); i++ {
		if seq[i].Cmp(from) == 0 && seq[i+1].Cmp(to) == 0 {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("segment %s:%s is not one of the sequence %s", from.RatString(), to.RatString(), formatSequence(seq))
	}
	cycle := big.NewInt(1)
	for _, b := range seq {
		d := b.Denom()
		g := new(big.Int).GCD(nil, nil, cycle, d)
		cycle.Mul(cycle, new(big.Int).Quo(d, g))
		if cycle.Cmp(big.NewInt(MaxSegmentCycle)) > 0 {
			return nil, fmt.Errorf("segment sequence %s: its denominators' least common multiple is over %d", formatSequence(seq), MaxSegmentCycle)
		}
	}
	p := &Partition{from: from, to: to, seq: seq, cycle: cycle.Int64()}
	lo := scaleRat(from, p.cycle)
	hi := scaleRat(to, p.cycle)
	step := stride(p.cycle)
	p.owned = make([]bool, p.cycle)
	p.prefix = make([]int64, p.cycle+1)
	for i := range p.cycle {
		pos := i * step % p.cycle
		p.owned[i] = pos >= lo && pos < hi
		p.prefix[i+1] = p.prefix[i]
		if p.owned[i] {
			p.prefix[i+1]++
		}
	}
	return p, nil
}

// scaleRat returns r*n for r whose denominator divides n.
func scaleRat(r *big.Rat, n int64) int64 {
	v := new(big.Int).Mul(r.Num(), big.NewInt(n))
	return v.Quo(v, r.Denom()).Int64()
}

// stride returns the step that deals out the positions of a cycle of n:
// index i sits at position i*stride mod n, a permutation (the stride is
// coprime to n) that spreads consecutive indices over the whole cycle, by
// the golden ratio, so that every part of the sequence gets its share of
// any stretch of consecutive indices.
func stride(n int64) int64 {
	if n <= 2 {
		return 1
	}
	s := int64(float64(n) * 0.6180339887498949)
	for d := int64(0); ; d++ {
		for _, c := range []int64{s + d, s - d} {
			if c >= 1 && c < n && new(big.Int).GCD(nil, nil, big.NewInt(c), big.NewInt(n)).Int64() == 1 {
				return c
			}
		}
	}
}

func formatSequence(seq []*big.Rat) string {
	parts := make([]string, len(seq))
	for i, b := range seq {
		parts[i] = b.RatString()
	}
	return strings.Join(parts, ",")
}

// Segment returns the segment in k6's syntax, "1/3:2/3" ("0:1" for nil).
func (p *Partition) Segment() string {
	if p == nil {
		return "0:1"
	}
	return p.from.RatString() + ":" + p.to.RatString()
}

// Sequence returns the segment sequence in k6's syntax, "0,1/3,2/3,1".
func (p *Partition) Sequence() string {
	if p == nil {
		return "0,1"
	}
	return formatSequence(p.seq)
}

// Whole reports whether the partition is the whole run.
func (p *Partition) Whole() bool {
	return p == nil || (p.from.Sign() == 0 && p.to.Cmp(big.NewRat(1, 1)) == 0)
}

// Owns reports whether this part owns the VU or iteration of global index i
// (from 0).
func (p *Partition) Owns(i int64) bool {
	if p == nil {
		return true
	}
	return p.owned[i%p.cycle]
}

// Count returns how many of the global indices 0..n-1 this part owns.
func (p *Partition) Count(n int64) int64 {
	if p == nil || n <= 0 {
		return max(n, 0)
	}
	return n/p.cycle*p.prefix[p.cycle] + p.prefix[n%p.cycle]
}

// Indices returns the global indices below n this part owns, in order.
func (p *Partition) Indices(n int64) []int64 {
	out := make([]int64, 0, p.Count(n))
	for i := range n {
		if p.Owns(i) {
			out = append(out, i)
		}
	}
	return out
}

// Parts returns every part of p's sequence, p's own among them.
func (p *Partition) Parts() []*Partition {
	var out []*Partition
	for i := 0; i+1 < len(p.seq); i++ {
		q, _ := NewPartition(p.seq[i], p.seq[i+1], p.seq)
		out = append(out, q)
	}
	return out
}
