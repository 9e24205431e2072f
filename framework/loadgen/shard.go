package loadgen

import (
	"fmt"
	"time"
)

// Shard names one disjoint share of a run's load: shard Index of Count
// generators that together send the whole run. Every request of the run has
// a global index i; shard I sends the requests with i mod Count = I, so the
// shards' requests are disjoint and together are exactly the run's:
//
//   - constant and uniform stages: every Count-th send of the whole stage's
//     schedule, starting at the Index-th, so the union of the shards'
//     schedules is the unsharded schedule;
//   - Poisson stages: an independent Poisson process at Rate/Count with a
//     seed derived from the run's seed and Index (the superposition of
//     Count independent Poisson processes at Rate/Count is a Poisson process
//     at Rate);
//   - concurrency stages: the concurrency and the request count are split,
//     the remainder spread over the lowest indices (a level below Count is
//     refused: a shard would have none);
//   - prompts: request i's lengths and prompt text are those of request i of
//     the unsharded run, so no two shards send the same prompt stream.
//
// The zero value (Count 0) is an unsharded run.
type Shard struct {
	Index, Count int
}

// MaxShards bounds Shard.Count: beyond it a shard's share of any realistic
// stage is too small to measure a rate on.
const MaxShards = 1000

// String renders the shard as I/N.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// sharded reports whether the run is one of several shards.
func (s Shard) sharded() bool { return s.Count > 1 }

func (s Shard) count() int { return max(s.Count, 1) }

// share is how many of n run-wide items (requests, concurrency slots) fall
// to the shard: those with index i mod Count = Index.
func (s Shard) share(n int) int {
	c := s.count()
	q := n / c
	if s.Index < n%c {
		q++
	}
	return q
}

// global maps the shard's k-th request to its index in the whole run.
func (s Shard) global(k int) int { return s.Index + k*s.count() }

// validate refuses a shard that names no share, or a load that cannot be
// split so that every shard sends something.
func (s Shard) validate(o *Options) error {
	if s.Count == 0 && s.Index == 0 {
		return nil
	}
	if s.Count < 1 || s.Count > MaxShards || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %s: want I/N with 0 <= I < N <= %d, such as 0/4", s, MaxShards)
	}
	if o.Sweep != nil && s.sharded() {
		return fmt.Errorf("shard %s: load.sweep cannot be sharded: its saturation probe needs one generator that sees the whole load; run the sweep unsharded, or give its rates as load.stages", s)
	}
	for i, st := range o.Stages {
		if o.Load == LoadConcurrent {
			if st.ConcurrencyLevel < s.Count || st.NumRequests < s.Count {
				return fmt.Errorf("load.stages[%d]: concurrency_level %d and num_requests %d cannot be split over %d shards (each shard needs at least one of each): lower the shard count or raise them",
					i, st.ConcurrencyLevel, st.NumRequests, s.Count)
			}
			continue
		}
		if n := plannedRequests(st); n < s.Count {
			return fmt.Errorf("load.stages[%d]: rate %g × duration %s plans %d requests, fewer than the %d shards: lower the shard count or raise the rate", i, st.Rate, st.Duration, n, s.Count)
		}
	}
	return nil
}

// strided yields every stride-th offset of all, starting at the first-th
// (0-based): one shard's share of a whole stage's schedule.
type strided struct {
	all    arrivals
	skip   int // offsets to drop before the next one kept
	stride int
}

func newStrided(all arrivals, s Shard) arrivals {
	if !s.sharded() {
		return all
	}
	return &strided{all: all, skip: s.Index, stride: s.Count}
}

func (a *strided) next() (time.Duration, bool) {
	for ; a.skip > 0; a.skip-- {
		if _, ok := a.all.next(); !ok {
			return 0, false
		}
	}
	a.skip = a.stride - 1
	return a.all.next()
}

// stageArrivals returns the schedule of the shard's n sends of stage s
// (stage number id); nil for concurrency stages, which have none.
func (e *engine) stageArrivals(id, n int, s Stage) arrivals {
	sh := e.o.Shard
	whole := plannedRequests(s)
	switch e.o.Load {
	case LoadConstant:
		return newStrided(newConstantArrivals(e.seed(1, id), whole, s.Duration.Seconds()), sh)
	case LoadPoisson:
		seed := e.seed(2, id)
		if sh.sharded() {
			seed ^= uint64(sh.Index+1) * 0xbf58476d1ce4e5b9
		}
		return newPoissonArrivals(seed, n, s.Rate/float64(sh.count()))
	case LoadUniform:
		return newStrided(&uniformArrivals{n: whole, gap: s.Duration.Seconds() / float64(whole)}, sh)
	}
	return nil
}

// anchored reports whether stage starts follow the planned wall-clock
// schedule from Options.StartAt rather than the end of the previous stage.
// Closed-loop stages have no planned length, so only the first is anchored;
// a sweep's stages follow its probe, whose length is not planned either.
func (e *engine) anchored(stage int) bool {
	return !e.o.StartAt.IsZero() && e.o.Sweep == nil && (stage == 0 || e.o.Load != LoadConcurrent)
}

// stageOrigin is the clock offset at which stage i's lead-in begins: with a
// start time, the planned instant (the same on every shard, whatever the
// previous stage's drain took); otherwise now.
func (e *engine) stageOrigin(i int, stages []Stage) time.Duration {
	if !e.anchored(i) {
		return e.clk.now()
	}
	var at time.Duration
	for _, s := range stages[:i] {
		at += e.o.LeadIn + s.Duration + e.o.Interval
	}
	return at
}
