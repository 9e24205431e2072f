package matchers

import "math"

// ranker is a distribution that can return order statistics: the
// HdrHistogram-backed report.Histogram.
type ranker interface {
	Count() int64
	ValueAtRank(r int64) float64
}

// quantileCI returns the 1-based ranks (l, u) of the order statistics that
// bound the q-quantile (q in (0,1)) with at least the given two-sided
// confidence, whatever the distribution: the number of samples below the
// true quantile is Binomial(n, q), so P(X(l) <= ξq <= X(u)) >= confidence with
// l-1 the largest k with P(B <= k) <= α/2 and u-1 the smallest k with
// P(B <= k) >= 1-α/2. l is 0 when no lower bound exists and u is n+1 when no
// upper bound exists (too few samples for this confidence).
func quantileCI(n int64, q, confidence float64) (l, u int64) {
	alpha := (1 - confidence) / 2
	fn := float64(n)
	sigma := math.Sqrt(fn * q * (1 - q))
	lo := int64(math.Max(0, math.Floor(fn*q-12*sigma-2)))
	hi := int64(math.Min(fn, math.Ceil(fn*q+12*sigma+2)))
	lgN, _ := math.Lgamma(fn + 1)
	lq, l1q := math.Log(q), math.Log1p(-q)
	l, u = 0, n+1
	cdf := 0.0
	foundU := false
	for k := lo; k <= hi; k++ {
		fk := float64(k)
		a, _ := math.Lgamma(fk + 1)
		b, _ := math.Lgamma(fn - fk + 1)
		cdf += math.Exp(lgN - a - b + fk*lq + (fn-fk)*l1q)
		if cdf <= alpha {
			l = k + 1
		}
		if !foundU && cdf >= 1-alpha {
			u = k + 1
			foundU = true
			break
		}
	}
	if l > n {
		l = 0
	}
	return l, u
}
