package matchers

import "math"

// Interval statistics of the regression matchers.
//
// Why order statistics and MOVER rather than a bootstrap: the interval of
// one quantile from its order statistics is exact for any continuous
// distribution (the count of samples below the true quantile is binomial),
// needs only ranks that an HdrHistogram answers, and costs microseconds, so
// the verdict study can judge hundreds of thousands of run pairs. A bootstrap
// of a P99 resamples the few samples above it and is known to undercover
// extreme quantiles. The two quantiles' intervals are combined into an
// interval for their ratio with the method of variance estimates recovery
// (MOVER, Zou & Donner): on the log scale each side's distance from its
// point estimate stands for that side's uncertainty, and the distances add
// in quadrature, which keeps each interval's asymmetry. Both methods treat
// the samples of one run as independent; queueing makes neighbouring TTFTs
// correlated, which is why the study measures the false-fail rate instead of
// trusting the nominal confidence.

// ratioInterval is a point estimate and confidence interval of cand/base for
// the q-quantile of two runs, where samples beyond a ranker's Count are
// failures (+Inf). lo or hi is ±Inf when a side has too few samples.
func ratioInterval(base, cand ranker, nb, nc int64, q, confidence float64) (b, c, point, lo, hi float64) {
	bl, bu := quantileCI(nb, q, confidence)
	cl, cu := quantileCI(nc, q, confidence)
	b = rankValue(base, nearestRank(nb, q))
	c = rankValue(cand, nearestRank(nc, q))
	at := func(r ranker, rank, n int64) float64 {
		if rank < 1 {
			return 0
		}
		if rank > n {
			return math.Inf(1)
		}
		return rankValue(r, rank)
	}
	lb, ub := math.Log(b), math.Log(c)
	dLoC := ub - math.Log(at(cand, cl, nc))
	dHiC := math.Log(at(cand, cu, nc)) - ub
	dLoB := lb - math.Log(at(base, bl, nb))
	dHiB := math.Log(at(base, bu, nb)) - lb
	theta := ub - lb
	lo = math.Exp(theta - math.Hypot(dLoC, dHiB))
	hi = math.Exp(theta + math.Hypot(dHiC, dLoB))
	return b, c, c / b, lo, hi
}

// nearestRank is the 1-based rank of the q-quantile among n samples.
func nearestRank(n int64, q float64) int64 {
	return max(1, int64(math.Ceil(q*float64(n)-1e-9)))
}

// zOf is the two-sided standard normal quantile for a confidence.
func zOf(confidence float64) float64 { return math.Sqrt2 * math.Erfinv(confidence) }

// WilsonInterval is the Wilson score interval of a proportion k/n at the given
// two-sided confidence; it stays inside [0,1] and is sound at k = 0 or k = n.
func WilsonInterval(k, n int64, confidence float64) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	z := zOf(confidence)
	p, fn := float64(k)/float64(n), float64(n)
	den := 1 + z*z/fn
	mid := (p + z*z/(2*fn)) / den
	half := z * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn)) / den
	return math.Max(0, mid-half), math.Min(1, mid+half)
}

// proportionDiff is Newcombe's interval for p2 - p1 from two Wilson intervals
// (MOVER again): the difference of error rates of two runs.
func proportionDiff(k1, n1, k2, n2 int64, confidence float64) (d, lo, hi float64) {
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	l1, u1 := WilsonInterval(k1, n1, confidence)
	l2, u2 := WilsonInterval(k2, n2, confidence)
	d = p2 - p1
	return d, d - math.Hypot(p2-l2, u1-p1), d + math.Hypot(u2-p2, p1-l1)
}

// countRatio is cand/base for two Poisson counts over windows tb and tc
// (rates), with a normal interval on the log scale.
func countRatio(kb int64, tb float64, kc int64, tc float64, confidence float64) (point, lo, hi float64) {
	point = (float64(kc) / tc) / (float64(kb) / tb)
	se := math.Sqrt(1/float64(kb) + 1/float64(kc))
	z := zOf(confidence)
	return point, point * math.Exp(-z*se), point * math.Exp(z*se)
}
