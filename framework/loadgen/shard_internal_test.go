package loadgen

import (
	"math"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// offsets collects every offset an arrivals yields.
func offsets(a arrivals) []time.Duration {
	var out []time.Duration
	for {
		at, ok := a.next()
		if !ok {
			return out
		}
		out = append(out, at)
	}
}

// shardEngine is an engine with only what stageArrivals reads.
func shardEngine(load LoadKind, seed int64, sh Shard) *engine {
	return &engine{o: Options{Load: load, Seed: seed, Shard: sh}}
}

var _ = Describe("shards", func() {
	It("splits n items over N shards by index, the remainder to the lowest indices", func() {
		for _, n := range []int{4, 7, 10, 1001} {
			total := 0
			for i := range 4 {
				s := Shard{Index: i, Count: 4}
				total += s.share(n)
				Expect(s.share(n)).To(Equal(len(slices.Collect(func(yield func(int) bool) {
					for k := 0; s.global(k) < n; k++ {
						if !yield(s.global(k)) {
							return
						}
					}
				}))), "shard %d of %d items", i, n)
			}
			Expect(total).To(Equal(n))
		}
		Expect(Shard{Index: 0, Count: 4}.share(7)).To(Equal(2))
		Expect(Shard{Index: 3, Count: 4}.share(7)).To(Equal(1))
		Expect(Shard{}.share(7)).To(Equal(7))
	})

	for _, load := range []LoadKind{LoadConstant, LoadUniform} {
		It("gives each "+string(load)+" shard every N-th send of the whole schedule, so together they are the unsharded schedule", func() {
			st := Stage{Rate: 33.3, Duration: 9 * time.Second}
			whole := offsets(shardEngine(load, 5, Shard{}).stageArrivals(2, plannedRequests(st), st))
			Expect(whole).To(HaveLen(299))
			var union []time.Duration
			for i := range 4 {
				sh := Shard{Index: i, Count: 4}
				n := sh.share(len(whole))
				mine := offsets(shardEngine(load, 5, sh).stageArrivals(2, n, st))[:n] // the engine sends n
				for k, at := range mine {
					Expect(at).To(Equal(whole[sh.global(k)]), "shard %d send %d", i, k)
				}
				union = append(union, mine...)
			}
			slices.Sort(union)
			Expect(union).To(Equal(whole))
		})
	}

	// Superposition: N independent Poisson processes at rate/N add up to a
	// Poisson process at rate, so per-second counts of the merged schedule
	// have mean and variance both equal to rate. Over 200 seeded runs the
	// mean and the dispersion (variance/mean) are printed with their
	// standard errors and judged at 4 of them.
	It("gives each Poisson shard an independent process at rate/N whose superposition is Poisson at the full rate", func() {
		const rate, shards, secs, runs = 40.0, 4, 30, 200
		st := Stage{Rate: rate, Duration: secs * time.Second}
		var counts []float64
		for run := range runs {
			perSec := make([]float64, secs)
			var first []time.Duration
			for i := range shards {
				sh := Shard{Index: i, Count: shards}
				offs := offsets(shardEngine(LoadPoisson, int64(run+1), sh).stageArrivals(0, sh.share(plannedRequests(st)), st))
				if i == 0 {
					first = offs
				} else {
					Expect(offs).NotTo(Equal(first), "shards must not share a schedule")
				}
				for _, at := range offs {
					if s := int(at / time.Second); s < secs-2 { // the count cut trims the last windows
						perSec[s]++
					}
				}
			}
			counts = append(counts, perSec[:secs-2]...)
		}
		mean, variance := meanVar(counts)
		seMean := math.Sqrt(variance / float64(len(counts)))
		disp := variance / mean
		seDisp := math.Sqrt(2 / float64(len(counts)-1)) // of a Poisson sample's dispersion
		GinkgoWriter.Printf("superposed Poisson counts per second: mean %.3f ± %.3f (want %g), dispersion %.3f ± %.3f (want 1)\n", mean, seMean, rate, disp, seDisp)
		Expect(mean).To(BeNumerically("~", rate, 4*seMean))
		Expect(disp).To(BeNumerically("~", 1, 4*seDisp))
	})

	It("draws a shard's request lengths and prompt text as the unsharded run's requests of the same index", func() {
		in := Lengths{Kind: LengthNormal, Min: 10, Max: 2000, Mean: 500, StdDev: 300}
		out := Lengths{Kind: LengthNormal, Min: 5, Max: 900, Mean: 200, StdDev: 100}
		type drawn struct{ in, out int }
		whole := newPromptSource(9, 77)
		var all []drawn
		var text []uint64
		for i := range 40 {
			a, b := whole.lengths(i, in, out)
			all = append(all, drawn{a, b})
			text = append(text, whole.textFor(i).Uint64())
		}
		for idx := range 3 {
			sh := Shard{Index: idx, Count: 3}
			src := newPromptSource(9, 77)
			for k := 0; sh.global(k) < 40; k++ {
				g := sh.global(k)
				a, b := src.lengths(g, in, out)
				Expect(drawn{a, b}).To(Equal(all[g]), "shard %d request %d", idx, g)
				Expect(src.textFor(g).Uint64()).To(Equal(text[g]))
			}
		}
		Expect(text[0]).NotTo(Equal(text[1]), "requests draw different text")
	})

	It("refuses a shard that names no share, a sharded sweep and a load too small to split", func() {
		o := Options{Load: LoadConstant, Stages: []Stage{{Rate: 1, Duration: 3 * time.Second}}}
		Expect(Shard{Index: 4, Count: 4}.validate(&o)).To(MatchError(ContainSubstring("0 <= I < N")))
		Expect(Shard{Index: 0, Count: 4}.validate(&o)).To(MatchError(ContainSubstring("plans 3 requests, fewer than the 4 shards")))
		Expect(Shard{Index: 0, Count: 3}.validate(&o)).To(Succeed())
		sw := Options{Load: LoadPoisson, Sweep: &Sweep{Type: "linear"}}
		Expect(Shard{Index: 1, Count: 2}.validate(&sw)).To(MatchError(ContainSubstring("load.sweep cannot be sharded")))
		c := Options{Load: LoadConcurrent, Stages: []Stage{{NumRequests: 100, ConcurrencyLevel: 3}}}
		Expect(Shard{Index: 0, Count: 4}.validate(&c)).To(MatchError(ContainSubstring("concurrency_level 3 and num_requests 100 cannot be split over 4 shards")))
		Expect(Shard{Index: 0, Count: 3}.validate(&c)).To(Succeed())
	})
})

func meanVar(xs []float64) (float64, float64) {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, ss / float64(len(xs)-1)
}
