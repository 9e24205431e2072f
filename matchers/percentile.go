package matchers

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// MinTailSamples is the default k of the sample-count rule: a percentile p is
// judged only when at least k samples lie above it, i.e. n >= k/(1-p/100)
// (P50 needs 20 samples, P90 100, P95 200, P99 1,000, P99.9 10,000). With
// fewer, the percentile is set by a handful of extreme samples (with one
// sample above it, P99 is just the second largest value) and a single outlier
// decides the verdict; ten tail samples keep the estimate's rank error near
// ±1/√10 of the tail and make the distribution-free 95% interval finite.
const MinTailSamples = 10

// Confidence is the two-sided confidence of the intervals printed and used by strict mode.
const Confidence = 0.95

// minSamples returns the samples the sample-count rule needs for percentile p.
func minSamples(p float64, k int) int64 {
	if p >= 100 {
		return int64(k)
	}
	x := float64(k) * 100 / (100 - p)
	return int64(math.Ceil(x - 1e-6*x)) // tolerate float error: 10/(1-0.999) is 10000.0000000011
}

// PercentileMatcher judges one percentile of one metric. Build it with
// HavePercentile or a HaveP<NN><Metric>Below constructor; refine it with
// Strict, WithLoadBounds and WithMinTailSamples.
type PercentileMatcher struct {
	metric    report.Metric
	p         float64
	threshold float64             // upper bound (exclusive) when inner is nil
	inner     types.GomegaMatcher // HavePercentile's matcher
	strict    bool
	bounds    LoadBounds
	minTail   int

	res    Result
	server string // the server's state over the judged stage, for failure messages
}

// Result is what a percentile matcher measured, for report entries and summaries.
type Result struct {
	// Stage names the stage judged ("summary", "stage 3").
	Stage string
	// Metric and P name what was judged.
	Metric report.Metric
	P      float64
	// Value is the measured percentile; Threshold the bound (0 with a custom matcher).
	Value, Threshold float64
	// N is the sample count of the successful requests.
	N int64
	// Failures is how many samples the failed requests added beyond the
	// threshold (see countsFailures); the percentile is judged over N+Failures.
	Failures int64
	// AdjustedP is the percentile of the N successful samples that answers P
	// over all N+Failures samples: P·(N+Failures)/N; +Inf when P falls on a failure.
	AdjustedP float64
	// Bound is "" when Value is the percentile itself, "<=" or ">=" when the
	// report file held only a neighbouring percentile that decides the verdict.
	Bound string
	// BoundFrom is the percentile of the successes a bound was read from.
	BoundFrom float64
	// TailNote says in words how the failures entered the tail; empty without failures.
	TailNote string
	// CILow and CIHigh bound the percentile with Confidence; NaN when unknown
	// (report-file data, or too few samples for a bound).
	CILow, CIHigh float64
	// Neighbours are the nearest percentiles below and above, as "p95=80.24ms".
	Neighbours []string
	// Worst is the stretch of the run where the percentile was highest, with
	// the server's state in it; set when the promise fails and the run has a timeline.
	Worst *report.WorstInterval
}

// HavePercentile succeeds when the p-th percentile of metric satisfies m.
// Latency values are given to m as time.Duration, token counts as float64:
//
//	Expect(r).To(HavePercentile(report.TTFT, 99, BeNumerically("<", 500*time.Millisecond)))
func HavePercentile(metric report.Metric, p float64, m types.GomegaMatcher) *PercentileMatcher {
	return &PercentileMatcher{metric: metric, p: p, inner: m, bounds: DefaultLoadBounds(), minTail: MinTailSamples}
}

// HavePercentileBelow succeeds when the p-th percentile of metric is below
// threshold (seconds for latencies, tokens for token counts). For latency
// metrics the percentile is over successes and failures together, each failed
// request a sample beyond the threshold (see the README's "Failures in the
// latency tail"), and so is the sample-count rule.
func HavePercentileBelow(metric report.Metric, p float64, threshold float64) *PercentileMatcher {
	return &PercentileMatcher{metric: metric, p: p, threshold: threshold, bounds: DefaultLoadBounds(), minTail: MinTailSamples}
}

func below(metric report.Metric, p float64, d time.Duration) *PercentileMatcher {
	return HavePercentileBelow(metric, p, d.Seconds())
}

// Strict makes the matcher pass only when the upper end of the
// distribution-free 95% confidence interval of the percentile is below the
// threshold, so the verdict does not flip on sampling noise. It needs
// HdrHistogram data (the native engine) and a threshold; on report-file data,
// or on HavePercentile with a custom matcher, Match returns an error saying so.
func (m *PercentileMatcher) Strict() *PercentileMatcher { m.strict = true; return m }

// WithLoadBounds replaces the delivered-load precondition (DefaultLoadBounds).
func (m *PercentileMatcher) WithLoadBounds(b LoadBounds) *PercentileMatcher { m.bounds = b; return m }

// WithMinTailSamples sets k of the sample-count rule (default MinTailSamples).
func (m *PercentileMatcher) WithMinTailSamples(k int) *PercentileMatcher {
	if k < 1 {
		k = 1
	}
	m.minTail = k
	return m
}

// Result returns what the last Match measured.
func (m *PercentileMatcher) Result() Result { return m.res }

// Match implements types.GomegaMatcher. Failed requests count as samples
// beyond the threshold (see countsFailures); every refusal to judge wraps
// ErrInconclusive.
func (m *PercentileMatcher) Match(actual any) (bool, error) {
	m.res = Result{Metric: m.metric, P: m.p, Threshold: m.threshold, CILow: math.NaN(), CIHigh: math.NaN()}
	name := fmt.Sprintf("%s %s", m.metric, report.PercentileName(m.p))
	if err := m.checkArgs(name); err != nil {
		return false, err
	}
	s, err := subjectOf(actual)
	if err != nil {
		return false, err
	}
	st := s.stage
	m.res.Stage = st.Name()
	m.server = serverWhy(st)
	if v := m.bounds.violations(s); len(v) > 0 {
		return false, fmt.Errorf("%s: %w", name, loadError(v))
	}
	d, n, err := m.samples(st, name)
	if err != nil {
		return false, err
	}
	f := tailFailures(st, m.metric, n)
	m.res.N, m.res.Failures = n, f
	if need := minSamples(m.p, m.minTail); n+f < need {
		return false, refuse("%s: too few samples: n=%d%s, need >= %d so that %d lie above the percentile", name, n, failedText(f), need, m.minTail)
	}
	tv, err := combinedPercentile(d, m.p, n, f, m.threshold)
	if err != nil {
		return false, fmt.Errorf("%s: %w", name, asRefusal(err))
	}
	if math.IsNaN(tv.v) || math.IsInf(tv.v, -1) || (math.IsInf(tv.v, 1) && f == 0) {
		return false, refuse("%s: %s holds %g for it, not a number that can be judged", name, st.Name(), tv.v)
	}
	m.res.Value, m.res.Bound, m.res.BoundFrom, m.res.AdjustedP = tv.v, tv.bound, tv.from, tv.adjusted
	m.res.TailNote = tailText(m.metric, m.p, n, f, st, tv)
	if d != nil {
		m.res.Neighbours = neighbours(d, m.metric, m.p)
	}
	ok, err := m.judge(d, name, n+f)
	if err == nil && !ok {
		m.explainFailure(s)
	}
	return ok, err
}

// checkArgs refuses a matcher built with impossible arguments (a usage
// error: not inconclusive, no run can make it judgeable).
func (m *PercentileMatcher) checkArgs(name string) error {
	if !(m.p > 0 && m.p <= 100) {
		return fmt.Errorf("%s: percentile must be in (0,100]", name)
	}
	if m.inner != nil && m.strict {
		return fmt.Errorf("%s: strict mode needs a threshold to compare the confidence interval with; use HavePercentileBelow (or a HaveP<NN><Metric>Below matcher) with Strict", name)
	}
	if m.inner == nil && !(m.threshold > 0) {
		return fmt.Errorf("%s: threshold must be positive, got %g", name, m.threshold)
	}
	return nil
}

// samples returns the metric's distribution and sample count. A stage whose
// every request failed has no distribution but is judged: its samples are
// all failures.
func (m *PercentileMatcher) samples(st report.Stage, name string) (report.Distribution, int64, error) {
	d, ok := st.Distribution(m.metric)
	if !ok {
		if st.Successes == 0 && st.Failures > 0 && countsFailures(m.metric) {
			return nil, 0, nil
		}
		return nil, 0, refuse("%s: %s not measured in %s%s", name, m.metric, st.Name(), missingHint(m.metric, st))
	}
	n := d.Count()
	if n < 0 {
		return nil, 0, refuse("%s: sample count unknown, cannot apply the sample-count rule", name)
	}
	return d, n, nil
}

// judge compares the measured percentile (m.res) with the threshold, the
// inner matcher or, in strict mode, the confidence interval over total samples.
func (m *PercentileMatcher) judge(d report.Distribution, name string, total int64) (bool, error) {
	r, isRanker := d.(ranker)
	if d == nil { // every sample is a failure
		m.res.CILow, m.res.CIHigh = math.Inf(1), math.Inf(1)
	}
	if isRanker {
		l, u := quantileCI(total, m.p/100, Confidence)
		if l >= 1 {
			m.res.CILow = rankValue(r, l)
		}
		if u <= total {
			m.res.CIHigh = rankValue(r, u)
		}
	} else if m.strict && d != nil {
		return false, refuse("%s: strict mode needs HdrHistogram data; this %s holds only the percentiles %s (report-file data)",
			name, m.res.Stage, percentileNames(d.Exact()))
	}
	v := m.res.Value
	switch {
	case m.inner != nil && m.res.Bound != "":
		return false, refuse("%s: with the failed requests counted, the report file gives only a bound (%s %s), which a custom matcher cannot judge", name, m.res.Bound, report.FormatValue(m.metric, v))
	case m.inner != nil:
		return m.inner.Match(m.value(v))
	case m.strict:
		return !math.IsNaN(m.res.CIHigh) && m.res.CIHigh < m.threshold, nil
	}
	return v < m.threshold, nil
}

// rankValue is the r-th smallest sample, +Inf beyond the successes (a failure).
func rankValue(r ranker, rank int64) float64 {
	if rank > r.Count() {
		return math.Inf(1)
	}
	return r.ValueAtRank(rank)
}

func failedText(f int64) string {
	if f == 0 {
		return ""
	}
	return fmt.Sprintf(" + %d failed", f)
}

// asRefusal makes a distribution's refusal (e.g. a percentile the report
// file does not hold) a refusal to judge.
func asRefusal(err error) error {
	if errors.Is(err, ErrInconclusive) {
		return err
	}
	return refuse("%w", err)
}

func (m *PercentileMatcher) value(v float64) any {
	if report.MetricKind(m.metric) == report.KindTokens {
		return v
	}
	if math.IsInf(v, 1) {
		return time.Duration(math.MaxInt64) // a failed request: longer than any duration
	}
	return time.Duration(math.Round(v * float64(time.Second)))
}

// missingHint says why a metric may be missing: no successful request at
// all, or (only when requests succeeded) responses that were not streamed.
func missingHint(m report.Metric, st report.Stage) string {
	if st.Successes == 0 {
		if st.Failures > 0 {
			return fmt.Sprintf(" (no request succeeded: %s)", failureSummary(st))
		}
		return " (no request succeeded)"
	}
	switch i := m.Info(); {
	case i.FromSchedule:
		return " (only the native engine measures latency from the scheduled send)"
	case i.Streaming:
		return " (it needs streamed responses: api.streaming true and a server that streams)"
	}
	return ""
}

func percentileNames(ps []float64) string {
	if ps == nil {
		return "any"
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = report.PercentileName(p)
		if p == 100 {
			names[i] = "max"
		}
	}
	return strings.Join(names, ", ")
}

// neighbours returns the nearest answerable percentiles below and above p.
func neighbours(d report.Distribution, metric report.Metric, p float64) []string {
	ps := d.Exact()
	if ps == nil {
		ps = append(append([]float64(nil), report.StandardPercentiles()...), 100)
	}
	var lo, hi float64 = -1, -1
	for _, q := range ps {
		if q < p && q > lo {
			lo = q
		}
		if q > p && (hi < 0 || q < hi) {
			hi = q
		}
	}
	var out []string
	for _, q := range []float64{lo, hi} {
		if q <= 0 {
			continue
		}
		if v, err := d.Percentile(q); err == nil {
			label := report.PercentileName(q)
			if q == 100 {
				label = "max"
			}
			out = append(out, label+"="+report.FormatValue(metric, v))
		}
	}
	return out
}

func (m *PercentileMatcher) describe(want string) string {
	r := m.res
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s = %s, want %s", r.Stage, r.Metric, report.PercentileName(r.P), m.valueText(), want)
	if m.inner == nil && r.Bound == "" && !math.IsInf(r.Value, 0) {
		diff := r.Value - r.Threshold
		word := "over by"
		if diff < 0 {
			word, diff = "under by", -diff
		}
		fmt.Fprintf(&b, " (%s %s, %+.1f%%)", word, report.FormatValue(r.Metric, diff), 100*(r.Value-r.Threshold)/r.Threshold)
	}
	fmt.Fprintf(&b, "; n=%d%s", r.N, r.TailNote)
	if len(r.Neighbours) > 0 {
		b.WriteString("; " + strings.Join(r.Neighbours, " "))
	}
	b.WriteString("; " + m.ciText())
	return b.String()
}

// valueText prints the measured value: a number, a bound from the report
// file's neighbouring percentile, or a failed request.
func (m *PercentileMatcher) valueText() string {
	r := m.res
	switch {
	case math.IsInf(r.Value, 1):
		return "a failed request (beyond any threshold)"
	case r.Bound != "":
		return fmt.Sprintf("%s %s (%s of the successes, the nearest the report file holds to %s)",
			r.Bound, report.FormatValue(r.Metric, r.Value), percentileNames([]float64{r.BoundFrom}), report.PercentileName(roundP(r.AdjustedP)))
	}
	return report.FormatValue(r.Metric, r.Value)
}

func (m *PercentileMatcher) ciText() string {
	r := m.res
	if math.IsNaN(r.CILow) && math.IsNaN(r.CIHigh) && !m.strict {
		return "no confidence interval (report-file data)"
	}
	f := func(v float64) string {
		switch {
		case math.IsNaN(v):
			return "?"
		case math.IsInf(v, 1):
			return "a failure"
		}
		return report.FormatValue(r.Metric, v)
	}
	s := fmt.Sprintf("95%% CI [%s, %s]", f(r.CILow), f(r.CIHigh))
	if m.strict {
		s += " (strict: the upper bound must be under the threshold)"
	}
	return s
}

func (m *PercentileMatcher) want(negated bool) string {
	if m.inner != nil {
		if negated {
			return "it not to match: " + firstLine(m.inner.NegatedFailureMessage(m.value(m.res.Value)))
		}
		return "it to match: " + firstLine(m.inner.FailureMessage(m.value(m.res.Value)))
	}
	op := "<"
	if negated {
		op = ">="
	}
	return op + " " + formatThreshold(m.metric, m.threshold)
}

// formatThreshold prints a latency bound as a Go duration ("150ms", "1.2s"),
// the way SLA files and matcher calls write it.
func formatThreshold(metric report.Metric, v float64) string {
	if report.MetricKind(metric) == report.KindTokens {
		return report.FormatValue(metric, v)
	}
	return time.Duration(math.Round(v * float64(time.Second))).String()
}

func firstLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// FailureMessage implements types.GomegaMatcher.
func (m *PercentileMatcher) FailureMessage(any) string { return m.describe(m.want(false)) + m.server }

// NegatedFailureMessage implements types.GomegaMatcher.
func (m *PercentileMatcher) NegatedFailureMessage(any) string { return m.describe(m.want(true)) }

// HaveP50TTFTBelow succeeds when the median time to first token is below d.
func HaveP50TTFTBelow(d time.Duration) *PercentileMatcher { return below(report.TTFT, 50, d) }

// HaveP90TTFTBelow succeeds when P90 time to first token is below d.
func HaveP90TTFTBelow(d time.Duration) *PercentileMatcher { return below(report.TTFT, 90, d) }

// HaveP95TTFTBelow succeeds when P95 time to first token is below d.
func HaveP95TTFTBelow(d time.Duration) *PercentileMatcher { return below(report.TTFT, 95, d) }

// HaveP99TTFTBelow succeeds when P99 time to first token is below d.
func HaveP99TTFTBelow(d time.Duration) *PercentileMatcher { return below(report.TTFT, 99, d) }

// HaveP999TTFTBelow succeeds when P99.9 time to first token is below d.
func HaveP999TTFTBelow(d time.Duration) *PercentileMatcher { return below(report.TTFT, 99.9, d) }

// HaveP50ITLBelow succeeds when the median inter-token latency is below d.
func HaveP50ITLBelow(d time.Duration) *PercentileMatcher { return below(report.ITL, 50, d) }

// HaveP90ITLBelow succeeds when P90 inter-token latency is below d.
func HaveP90ITLBelow(d time.Duration) *PercentileMatcher { return below(report.ITL, 90, d) }

// HaveP95ITLBelow succeeds when P95 inter-token latency is below d.
func HaveP95ITLBelow(d time.Duration) *PercentileMatcher { return below(report.ITL, 95, d) }

// HaveP99ITLBelow succeeds when P99 inter-token latency is below d.
func HaveP99ITLBelow(d time.Duration) *PercentileMatcher { return below(report.ITL, 99, d) }

// HaveP999ITLBelow succeeds when P99.9 inter-token latency is below d.
func HaveP999ITLBelow(d time.Duration) *PercentileMatcher { return below(report.ITL, 99.9, d) }

// HaveP50TPOTBelow succeeds when the median time per output token is below d.
func HaveP50TPOTBelow(d time.Duration) *PercentileMatcher { return below(report.TPOT, 50, d) }

// HaveP90TPOTBelow succeeds when P90 time per output token is below d.
func HaveP90TPOTBelow(d time.Duration) *PercentileMatcher { return below(report.TPOT, 90, d) }

// HaveP95TPOTBelow succeeds when P95 time per output token is below d.
func HaveP95TPOTBelow(d time.Duration) *PercentileMatcher { return below(report.TPOT, 95, d) }

// HaveP99TPOTBelow succeeds when P99 time per output token is below d.
func HaveP99TPOTBelow(d time.Duration) *PercentileMatcher { return below(report.TPOT, 99, d) }

// HaveP999TPOTBelow succeeds when P99.9 time per output token is below d.
func HaveP999TPOTBelow(d time.Duration) *PercentileMatcher { return below(report.TPOT, 99.9, d) }

// HaveP50NTPOTBelow succeeds when the median normalized time per output token is below d.
func HaveP50NTPOTBelow(d time.Duration) *PercentileMatcher { return below(report.NTPOT, 50, d) }

// HaveP90NTPOTBelow succeeds when P90 normalized time per output token is below d.
func HaveP90NTPOTBelow(d time.Duration) *PercentileMatcher { return below(report.NTPOT, 90, d) }

// HaveP95NTPOTBelow succeeds when P95 normalized time per output token is below d.
func HaveP95NTPOTBelow(d time.Duration) *PercentileMatcher { return below(report.NTPOT, 95, d) }

// HaveP99NTPOTBelow succeeds when P99 normalized time per output token is below d.
func HaveP99NTPOTBelow(d time.Duration) *PercentileMatcher { return below(report.NTPOT, 99, d) }

// HaveP999NTPOTBelow succeeds when P99.9 normalized time per output token is below d.
func HaveP999NTPOTBelow(d time.Duration) *PercentileMatcher { return below(report.NTPOT, 99.9, d) }

// HaveP50RequestLatencyBelow succeeds when the median request latency is below d.
func HaveP50RequestLatencyBelow(d time.Duration) *PercentileMatcher {
	return below(report.RequestLatency, 50, d)
}

// HaveP90RequestLatencyBelow succeeds when P90 request latency is below d.
func HaveP90RequestLatencyBelow(d time.Duration) *PercentileMatcher {
	return below(report.RequestLatency, 90, d)
}

// HaveP95RequestLatencyBelow succeeds when P95 request latency is below d.
func HaveP95RequestLatencyBelow(d time.Duration) *PercentileMatcher {
	return below(report.RequestLatency, 95, d)
}

// HaveP99RequestLatencyBelow succeeds when P99 request latency is below d.
func HaveP99RequestLatencyBelow(d time.Duration) *PercentileMatcher {
	return below(report.RequestLatency, 99, d)
}

// HaveP999RequestLatencyBelow succeeds when P99.9 request latency is below d.
func HaveP999RequestLatencyBelow(d time.Duration) *PercentileMatcher {
	return below(report.RequestLatency, 99.9, d)
}

// Measured describes what the last Match measured (value, sample count,
// neighbouring percentiles, confidence interval), pass or fail, for report
// entries; empty before Match or after a refusal.
func (m *PercentileMatcher) Measured() string {
	if m.res.N+m.res.Failures == 0 {
		return ""
	}
	r := m.res
	s := fmt.Sprintf("%s %s %s = %s; n=%d%s", r.Stage, r.Metric, report.PercentileName(r.P), m.valueText(), r.N, r.TailNote)
	if len(r.Neighbours) > 0 {
		s += "; " + strings.Join(r.Neighbours, " ")
	}
	return s + "; " + m.ciText()
}
