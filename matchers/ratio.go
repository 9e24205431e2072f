package matchers

import "math"

// Interval statistics of the regression matchers (the package doc says why
// these): order-statistic intervals per run, widened by the dispersion of
// the run's tail between timeline blocks (regression_blocks.go), combined
// into an interval of the ratio by the method of variance estimates recovery
// (MOVER, Zou & Donner; with the blocks' correlation for paired runs): on
// the log scale each side's distance from its point estimate stands for that
// side's uncertainty, and the distances add in quadrature, which keeps each
// interval's asymmetry.

// tailSide is one run's percentile evidence: its ranked samples, the
// count with failures (+Inf beyond the ranker's Count), and how much wider
// than for independent samples its rank interval must be (sqrt of the
// dispersion, times t/z for the blocks' degrees of freedom).
type tailSide struct {
	r       ranker
	n       int64
	inflate float64
}

// ratioInterval is a point estimate and confidence interval of cand/base for
// the q-quantile of two runs whose block residuals correlate by rho. lo or hi
// is ±Inf when a side has too few samples.
func ratioInterval(base, cand tailSide, q, confidence, rho float64) (b, c, point, lo, hi float64) {
	b = rankValue(base.r, nearestRank(base.n, q))
	c = rankValue(cand.r, nearestRank(cand.n, q))
	dLoB, dHiB := logDistances(base, b, q, confidence)
	dLoC, dHiC := logDistances(cand, c, q, confidence)
	theta := math.Log(c) - math.Log(b)
	lo = math.Exp(theta - moverHalf(dLoC, dHiB, rho))
	hi = math.Exp(theta + moverHalf(dHiC, dLoB, rho))
	return b, c, c / b, lo, hi
}

// moverHalf combines two sides' distances into the half-width of their
// difference, with the correlation of the two estimates (MOVER-R).
func moverHalf(a, b, rho float64) float64 {
	v := a*a + b*b - 2*rho*a*b
	if math.IsInf(a, 0) || math.IsInf(b, 0) || math.IsNaN(v) {
		return math.Inf(1)
	}
	return math.Sqrt(math.Max(0, v))
}

// logDistances are the log-scale distances from a side's estimate v to the
// ends of its rank interval, widened by the side's inflation.
func logDistances(s tailSide, v, q, confidence float64) (dLo, dHi float64) {
	l, u := quantileCI(s.n, q, confidence)
	if f := s.inflate; f > 1 {
		mid := q * float64(s.n)
		l = int64(math.Floor(mid - (mid-float64(l))*f))
		u = int64(math.Ceil(mid + (float64(u)-mid)*f))
		if l < 1 {
			l = 0
		}
		u = min(u, s.n+1)
	}
	at := func(rank int64) float64 {
		if rank < 1 {
			return 0
		}
		return rankValue(s.r, rank) // +Inf beyond Count: a failure
	}
	return math.Log(v) - math.Log(at(l)), math.Log(at(u)) - math.Log(v)
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
