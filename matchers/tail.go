package matchers

import (
	"fmt"
	"math"
	"sort"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// A failed request is worse than any latency threshold: it never produced a
// first token, or never finished. Latency percentiles are therefore judged
// over successes and failures together, each failure a sample at +Inf, so
// failing requests can neither vanish from the tail nor pass a latency-only
// SLA. Which failures count for which metric:
//
//   - TTFT, TPOT, NTPOT, request latency and their from-schedule variants:
//     every failed request is one sample beyond the threshold. The report
//     keeps no latency for a failure (only failures.request_latency), so a
//     request that failed after its first token counts in the TTFT tail too.
//   - ITL (pooled over token gaps): a failure's stall is one beyond-threshold
//     gap of the request, and every failed request weighs as much as an
//     average success (gaps/successes samples each), so the failure share of
//     the ITL tail equals the failure share of the requests.
//   - schedule delay, failed-request latency and token counts: no change;
//     schedule delay already holds every request, failed or not.

// countsFailures reports whether failed requests enter metric's tail.
func countsFailures(m report.Metric) bool {
	return m.Info().FailuresInTail
}

// tailFailures returns how many beyond-threshold samples st's failed requests
// add to metric's distribution of n samples.
func tailFailures(st report.Stage, metric report.Metric, n int64) int64 {
	if !countsFailures(metric) || st.Failures <= 0 {
		return 0
	}
	if metric == report.ITL && st.Successes > 0 && n > st.Successes {
		return int64(math.Ceil(float64(st.Failures) * float64(n) / float64(st.Successes)))
	}
	return st.Failures
}

// tailValue is the p-th percentile over n success samples and f failures at +Inf.
type tailValue struct {
	// v is the percentile (+Inf when it falls on a failure); when bound is
	// "<=" or ">=" it is only a bound read from a neighbouring percentile.
	v     float64
	bound string
	// from is the percentile of the successes a bound was read from.
	from float64
	// adjusted is p' = p·(n+f)/n, the percentile of the successes that
	// answers p over all requests.
	adjusted float64
}

// combinedPercentile answers the p-th percentile over the n samples of d and
// f failures beyond any threshold. Histogram data is answered exactly by
// rank; report-file data by the adjusted percentile p' = p·(n+f)/n when the
// file holds it, else by the neighbouring percentiles when they decide the
// comparison with threshold, else it refuses (inconclusive).
func combinedPercentile(d report.Distribution, p float64, n, f int64, threshold float64) (tailValue, error) {
	if f == 0 {
		v, err := d.Percentile(p)
		return tailValue{v: v, adjusted: p}, err
	}
	total := n + f
	rank := int64(math.Ceil(p/100*float64(total) - 1e-9))
	if rank < 1 {
		rank = 1
	}
	if n == 0 || rank > n {
		return tailValue{v: math.Inf(1), adjusted: math.Inf(1)}, nil
	}
	adj := math.Min(100, p*float64(total)/float64(n))
	if r, ok := d.(ranker); ok {
		return tailValue{v: r.ValueAtRank(rank), adjusted: adj}, nil
	}
	return fileTailValue(d, adj, threshold)
}

// fileTailValue reads percentile adj from report-file data, or a bound from
// the nearest percentiles the file holds around it.
func fileTailValue(d report.Distribution, adj, threshold float64) (tailValue, error) {
	ps := d.Exact()
	sort.Float64s(ps)
	lo, hi := -1.0, -1.0
	for _, q := range ps {
		switch {
		case math.Abs(q-adj) < 1e-9:
			v, err := d.Percentile(q)
			return tailValue{v: v, adjusted: adj}, err
		case q < adj:
			lo = q
		case hi < 0:
			hi = q
		}
	}
	if hi > 0 && threshold > 0 {
		if v, err := d.Percentile(hi); err == nil && v < threshold {
			return tailValue{v: v, bound: "<=", from: hi, adjusted: adj}, nil
		}
	}
	if lo > 0 && threshold > 0 {
		if v, err := d.Percentile(lo); err == nil && v >= threshold {
			return tailValue{v: v, bound: ">=", from: lo, adjusted: adj}, nil
		}
	}
	return tailValue{}, refuse("with the failed requests counted beyond the threshold this is %s of the successes, which the report file does not hold (available: %s) and its neighbours do not decide",
		report.PercentileName(roundP(adj)), percentileNames(ps))
}

// roundP rounds an adjusted percentile for messages (p99.4949… → p99.495).
func roundP(p float64) float64 { return math.Round(p*1000) / 1000 }

// tailText says how failures entered the tail, for failure messages.
func tailText(metric report.Metric, p float64, n, f int64, st report.Stage, tv tailValue) string {
	if f == 0 {
		return ""
	}
	who := fmt.Sprintf("%d failed requests", st.Failures)
	if f != st.Failures {
		who = fmt.Sprintf("%d failed requests (as %d gaps, each request weighing as an average success)", st.Failures, f)
	}
	if math.IsInf(tv.v, 1) {
		return fmt.Sprintf("; %s counted beyond the threshold: %s over %d samples falls on a failure", who, report.PercentileName(p), n+f)
	}
	return fmt.Sprintf("; %s counted beyond the threshold: %s over all = %s of the %d successful samples", who, report.PercentileName(p), report.PercentileName(roundP(tv.adjusted)), n)
}
