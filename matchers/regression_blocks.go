package matchers

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// BlockLength is the span of the blocks of consecutive timeline intervals
// the regression interval treats as independent: well beyond the correlation
// time of a server's queue and slow spells (about a second on the fitted
// simulator), short enough that a 70 s run has over a dozen blocks.
const BlockLength = 5 * time.Second

// blockTail is one run's tail evidence per block of BlockLength: how many
// samples each block holds and how many of them lie above the run's pooled
// percentile (failures counted as above when the percentile counts them).
type blockTail struct {
	n, above []float64
}

// TailCache keeps the timeline blocks the regression judge measured for each
// run, so that judging the same runs many times (a study comparing one
// baseline with many candidates) reads each run's interval histograms once.
// It is safe for concurrent use; the zero value is ready.
type TailCache struct {
	mu sync.Mutex
	m  map[tailKey]cachedTail
}

type tailKey struct {
	r      *report.Report
	metric report.Metric
	v      float64
}

type cachedTail struct {
	b  blockTail
	ok bool
}

// blocks is blocksOf through the cache; a nil cache reads every time.
func (c *TailCache) blocks(r *report.Report, metric report.Metric, v float64, withFailures bool, total int64) (blockTail, bool, error) {
	if c == nil {
		return blocksOf(r, metric, v, withFailures, total)
	}
	k := tailKey{r, metric, v}
	c.mu.Lock()
	got, hit := c.m[k]
	c.mu.Unlock()
	if hit {
		return got.b, got.ok, nil
	}
	b, ok, err := blocksOf(r, metric, v, withFailures, total)
	if err == nil {
		c.mu.Lock()
		if c.m == nil {
			c.m = map[tailKey]cachedTail{}
		}
		c.m[k] = cachedTail{b, ok}
		c.mu.Unlock()
	}
	return b, ok, err
}

// blocksOf splits the run's timeline into blocks and counts each block's
// samples of metric and those above v. ok is false when some stage has no
// timeline or the timeline's counts disagree with the run's, so the
// correlation cannot be measured.
func blocksOf(r *report.Report, metric report.Metric, v float64, withFailures bool, total int64) (blockTail, bool, error) {
	stages := r.Stages
	if len(stages) == 0 {
		stages = []report.Stage{r.Summary}
	}
	var b blockTail
	var seen int64
	for _, st := range stages {
		if st.Timeline == nil || len(st.Timeline.Intervals) == 0 {
			return blockTail{}, false, nil
		}
		var n, above float64
		var span time.Duration
		for _, iv := range st.Timeline.Intervals {
			c, a, err := intervalTail(iv, metric, v, withFailures)
			if err != nil {
				return blockTail{}, false, err
			}
			n, above, span = n+c, above+a, span+iv.Length
			seen += int64(c)
			if span >= BlockLength {
				b.n, b.above = append(b.n, n), append(b.above, above)
				n, above, span = 0, 0, 0
			}
		}
		if n > 0 {
			b.n, b.above = append(b.n, n), append(b.above, above)
		}
	}
	return b, len(b.n) >= 2 && seen == total && !lopsided(b.n, seen), nil
}

// lopsided reports whether one block holds over half of the samples: then
// the blocks say nothing about correlation (a timeline that kept a metric
// whole in one interval).
func lopsided(n []float64, total int64) bool {
	for _, c := range n {
		if c > float64(total)/2 {
			return true
		}
	}
	return false
}

// intervalTail is one interval's sample count of metric and its count above v.
func intervalTail(iv report.Interval, metric report.Metric, v float64, withFailures bool) (n, above float64, err error) {
	var fails float64
	if withFailures {
		fails = float64(iv.Failed)
	}
	if iv.Count(metric) == 0 {
		return fails, fails, nil
	}
	h, err := iv.Histogram(metric)
	if err != nil || h == nil {
		return 0, 0, fmt.Errorf("the %s timeline: %w", metric, err)
	}
	return float64(h.Count()) + fails, float64(h.CountAbove(v)) + fails, nil
}

// residuals are each block's exceedances minus what the pooled share predicts.
func (b blockTail) residuals() []float64 {
	var n, a float64
	for i := range b.n {
		n, a = n+b.n[i], a+b.above[i]
	}
	share := a / n
	out := make([]float64, len(b.n))
	for i := range b.n {
		out[i] = b.above[i] - share*b.n[i]
	}
	return out
}

// dispersion is the batch-means estimate of how much more the count of
// samples above the percentile varies than independent samples would let it
// (1 when they are independent), never below 1: the squared residuals over
// the binomial variance, with B/(B-1) for the estimated share.
func (b blockTail) dispersion() float64 {
	var n, a, ss float64
	for i := range b.n {
		n, a = n+b.n[i], a+b.above[i]
	}
	share := a / n
	for _, r := range b.residuals() {
		ss += r * r
	}
	binomial := n * share * (1 - share)
	if !(binomial > 0) {
		return 1
	}
	k := float64(len(b.n))
	return math.Max(1, ss*k/(k-1)/binomial)
}

// correlation is the correlation of two runs' block residuals over the
// blocks both have (a slower run drains longer): positive when both runs'
// tails rise in the same blocks, as they do when the runs replay one seeded
// workload.
func correlation(x, y blockTail) float64 {
	rx, ry := x.residuals(), y.residuals()
	k := min(len(rx), len(ry))
	if k < 3 {
		return 0
	}
	rx, ry = rx[:k], ry[:k]
	var sxy, sxx, syy float64
	for i := range rx {
		sxy, sxx, syy = sxy+rx[i]*ry[i], sxx+rx[i]*rx[i], syy+ry[i]*ry[i]
	}
	if !(sxx > 0 && syy > 0) {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}

// studentT approximates the two-sided Student t quantile for the given
// confidence and degrees of freedom (Cornish-Fisher expansion around the
// normal quantile; within 0.2% for df >= 5).
func studentT(confidence float64, df int) float64 {
	z := zOf(confidence)
	if df <= 0 {
		return math.Inf(1)
	}
	v := float64(df)
	z3, z5, z7 := z*z*z, z*z*z*z*z, z*z*z*z*z*z*z
	return z + (z3+z)/(4*v) + (5*z5+16*z3+3*z)/(96*v*v) + (3*z7+19*z5+17*z3-15*z)/(384*v*v*v)
}

// sides measures each run's tail correlation over its timeline blocks: the
// dispersion widens that run's rank interval, and for a paired comparison
// (both runs replay one seeded workload) the correlation of the two runs'
// blocks narrows the interval of the ratio. A run without a timeline keeps
// the interval of independent samples, and Measured says so.
func (m *RegressionMatcher) sides(run *report.Report, br, cr ranker, nb, nc int64) (base, cand tailSide, rho float64, err error) {
	q := m.p / 100
	base, cand = tailSide{r: br, n: nb, inflate: 1}, tailSide{r: cr, n: nc, inflate: 1}
	withFailures := countsFailures(m.metric)
	bb, okB, err := m.cache.blocks(m.baseline, m.metric, rankValue(br, nearestRank(nb, q)), withFailures, nb)
	if err != nil {
		return base, cand, 0, fmt.Errorf("the baseline's %w", err)
	}
	cb, okC, err := m.cache.blocks(run, m.metric, rankValue(cr, nearestRank(nc, q)), withFailures, nc)
	if err != nil {
		return base, cand, 0, fmt.Errorf("the candidate's %w", err)
	}
	m.res.Blocks = [2]int{len(bb.n), len(cb.n)}
	if !okB || !okC {
		m.res.Blocks = [2]int{}
		return base, cand, 0, nil
	}
	scale := func(b blockTail) float64 {
		return math.Sqrt(b.dispersion()) * studentT(m.confidence, len(b.n)-1) / zOf(m.confidence)
	}
	base.inflate, cand.inflate = scale(bb), scale(cb)
	if pairedRuns(m.baseline, run) {
		rho = correlation(bb, cb)
	}
	m.res.Dispersion = [2]float64{bb.dispersion(), cb.dispersion()}
	m.res.Correlation = rho
	return base, cand, rho, nil
}
