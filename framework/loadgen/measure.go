package loadgen

import (
	"math"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// maxSamples bounds the per-request metrics one request carries.
const maxSamples = 16

// sample is one value of one metric measured on one request: seconds or
// tokens, NaN when not measured (a histogram ignores it; goodput counts it
// as not met).
type sample struct {
	metric report.Metric
	value  float64
}

// measurement is everything one finished request measured: a value of each
// per-request metric, and the inter-token gaps ITL pools.
type measurement struct {
	samples [maxSamples]sample
	n       int
	gaps    []time.Duration
	itlMean float64 // per-request mean gap: ITL as goodput judges it
}

func (ms *measurement) add(m report.Metric, v float64) {
	ms.samples[ms.n] = sample{m, v}
	ms.n++
}

// value returns the request's value of m, NaN when not measured. ITL is the
// request's mean gap, as inference-perf's goodput takes it.
func (ms *measurement) value(m report.Metric) float64 {
	if m == report.ITL {
		return ms.itlMean
	}
	for _, s := range ms.samples[:ms.n] {
		if s.metric == m {
			return s.value
		}
	}
	return math.NaN()
}

// recordInto adds the request to hist, which holds a histogram per metric
// the native engine records (report.TimelineMetrics).
func (ms *measurement) recordInto(hist map[report.Metric]*report.Histogram) {
	for _, s := range ms.samples[:ms.n] {
		if h := hist[s.metric]; h != nil {
			h.Record(s.value)
		}
	}
	if len(ms.gaps) > 0 {
		hist[report.ITL].RecordDurations(ms.gaps)
	}
}

// newHistograms returns an empty histogram for every metric the native
// engine records, of the kind its registry entry gives.
func newHistograms() map[report.Metric]*report.Histogram {
	ms := report.TimelineMetrics()
	hist := make(map[report.Metric]*report.Histogram, len(ms))
	for _, m := range ms {
		hist[m] = report.NewHistogram(report.MetricKind(m))
	}
	return hist
}

// measure computes the per-request metrics of o. It is the one place they
// are computed: the stage recorder, the timeline interval and goodput all
// read its result, so a new per-request metric is its registry entry and
// one line here.
func (o *outcome) measure() measurement {
	ms := measurement{itlMean: math.NaN()}
	ms.add(report.ScheduleDelay, secs(o.start-o.scheduled))
	if o.label != "" {
		ms.add(report.FailedRequestLatency, secs(o.end-o.start))
		return ms
	}
	prompt, out := o.tokens()
	latency := secs(o.end - o.start)
	ms.add(report.PromptTokens, float64(prompt))
	ms.add(report.OutputTokens, float64(out))
	ms.add(report.RequestLatency, latency)
	ms.add(report.RequestLatencyFromSchedule, secs(o.end-o.scheduled))
	ms.add(report.NTPOT, perToken(latency, out))
	if !o.streamed || o.chunks == 0 {
		return ms
	}
	ms.add(report.TTFT, secs(o.first-o.start))
	ms.add(report.TTFTFromSchedule, secs(o.first-o.scheduled))
	ms.add(report.TPOT, perToken(secs(o.last-o.first), out-1))
	ms.gaps = o.gaps
	if len(o.gaps) > 0 {
		ms.itlMean = secs(o.last-o.first) / float64(len(o.gaps))
	}
	return ms
}

// perToken is d divided by n tokens; NaN (not measured) when n < 1.
func perToken(d float64, n int64) float64 {
	if n < 1 {
		return math.NaN()
	}
	return d / float64(n)
}
