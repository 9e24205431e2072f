package servermetrics

import (
	"math"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// sample is one scrape at one time.
type sample struct {
	at   time.Time
	snap snapshot
}

// approxNote says how the histogram percentiles were computed.
const approxNote = "server percentiles are interpolated within vLLM's histogram buckets (approximate); gauges are sampled at each scrape"

// window computes the server figures over [from, to] from samples in time
// order: gauges from the samples inside the window, counters and histograms
// from the difference between the last sample at or before from (the
// baseline) and the last sample at or before to. It returns nil when fewer
// than two samples span the window.
func window(samples []sample, from, to time.Time, source string) *report.ServerMetrics {
	base, end := -1, -1
	for i, s := range samples {
		if !s.at.After(from) {
			base = i
		}
		if !s.at.After(to) {
			end = i
		}
	}
	if base < 0 && len(samples) > 0 && !samples[0].at.After(to) {
		base = 0
	}
	if base < 0 || end <= base {
		return nil
	}
	in := samples[base : end+1]
	dt := in[len(in)-1].at.Sub(in[0].at).Seconds()
	m := &report.ServerMetrics{Source: source, Scrapes: len(in), Note: approxNote}
	for _, s := range in {
		m.Series = max(m.Series, s.snap.series)
	}
	inc := func(q string) float64 { return increase(in, q) }
	done := inc(successes)
	m.Set(report.ServerRequestCount, "", done, true)
	m.Set(report.ServerRequestRate, "", done/dt, false)
	perRequest := func(name, q string) {
		if done > 0 {
			m.Set(name, "mean", inc(q)/done, false)
		}
		m.Set(name, "rate", inc(q)/dt, false)
	}
	perRequest(report.ServerPromptLen, promptTokens)
	perRequest(report.ServerOutputLen, genTokens)
	gauges(m, in[1:])
	m.Set(report.ServerPreemptions, "total", inc(preemptions), true)
	if q := inc(prefixQueries); q > 0 {
		m.Set(report.ServerPrefixCacheHit, "mean", 100*inc(prefixHits)/q, false)
	}
	for _, h := range []struct{ name, q string }{
		{report.ServerE2E, e2e}, {report.ServerTTFT, ttft}, {report.ServerTPOT, tpot},
		{report.ServerITL, itl}, {report.ServerQueueTime, queueTime},
	} {
		histogram(m, h.name, in[0].snap.hists[h.q], in[len(in)-1].snap.hists[h.q])
	}
	return m
}

// gauges sets mean and max of each scheduler gauge over the samples. Running
// and waiting requests are summed over the series (replicas); KV-cache usage
// takes the fullest series at each scrape.
func gauges(m *report.ServerMetrics, in []sample) {
	for _, g := range []struct {
		name, q string
		agg     func(gaugeAgg) float64
	}{
		{report.ServerWaiting, waiting, func(g gaugeAgg) float64 { return g.sum }},
		{report.ServerRunning, running, func(g gaugeAgg) float64 { return g.sum }},
		{report.ServerKVCacheUsage, kvUsage, func(g gaugeAgg) float64 { return g.max }},
		{"num_requests_swapped", swapped, func(g gaugeAgg) float64 { return g.sum }},
	} {
		sum, peak, n := 0.0, math.Inf(-1), 0
		for _, s := range in {
			v, ok := s.snap.gauges[g.q]
			if !ok {
				continue
			}
			x := g.agg(v)
			sum += x
			peak = math.Max(peak, x)
			n++
		}
		if n == 0 {
			continue
		}
		m.Set(g.name, "mean", sum/float64(n), false)
		m.Set(g.name, "max", peak, peak == math.Trunc(peak) && g.q != kvUsage)
	}
}

// increase is the growth of counter q over the samples, counting a drop (a
// restarted server) as growth from zero.
func increase(in []sample, q string) float64 {
	total := 0.0
	for i := 1; i < len(in); i++ {
		prev, cur := in[i-1].snap.counters[q], in[i].snap.counters[q]
		if cur >= prev {
			total += cur - prev
		} else {
			total += cur
		}
	}
	return total
}

// histogram sets count, mean, median, p90, p99 of the observations that
// arrived between two cumulative histograms.
func histogram(m *report.ServerMetrics, name string, before, after hist) {
	d := delta(before, after)
	if d.count <= 0 {
		return
	}
	m.Set(name, "count", d.count, true)
	m.Set(name, "mean", d.sum/d.count, false)
	for _, p := range []struct {
		stat string
		q    float64
	}{{"median", 0.5}, {"p90", 0.9}, {"p99", 0.99}} {
		m.Set(name, p.stat, quantile(d, p.q), false)
	}
}

func delta(before, after hist) hist {
	d := hist{bounds: after.bounds, count: after.count - before.count, sum: after.sum - before.sum}
	prev := map[float64]float64{}
	for i, b := range before.bounds {
		prev[b] = before.cum[i]
	}
	for i, b := range after.bounds {
		d.cum = append(d.cum, max(0, after.cum[i]-prev[b]))
	}
	return d
}

// quantile interpolates the q-quantile linearly within the bucket holding it,
// as PromQL's histogram_quantile does; in the +Inf bucket it answers the
// highest finite bound.
func quantile(h hist, q float64) float64 {
	rank := q * h.count
	lower, below := 0.0, 0.0
	for i, b := range h.bounds {
		if h.cum[i] >= rank {
			n := h.cum[i] - below
			if n <= 0 {
				return b
			}
			return lower + (b-lower)*(rank-below)/n
		}
		lower, below = b, h.cum[i]
	}
	return lower
}

// DefaultWorstWidth is the width of the intervals searched for the worst one.
const DefaultWorstWidth = report.DefaultWorstWidth

// worst finds, among the intervals of the given width starting at each
// sample inside [from, to], the one with the highest server TTFT p99 (e2e
// p99 when no TTFT was observed); nil when the window is not longer than
// two widths.
func worst(samples []sample, from, to time.Time, width time.Duration, source string) *report.ServerInterval {
	if width <= 0 || to.Sub(from) <= 2*width {
		return nil
	}
	var best *report.ServerInterval
	bestV := -1.0
	for _, s := range samples {
		if s.at.Before(from) || s.at.Add(width).After(to) {
			continue
		}
		m := window(samples, s.at, s.at.Add(width), source)
		v, ok := m.Get(report.ServerTTFT, "p99")
		if !ok {
			v, ok = m.Get(report.ServerE2E, "p99")
		}
		if ok && v > bestV {
			bestV = v
			best = &report.ServerInterval{Offset: s.at.Sub(from), Width: width, Metrics: m}
		}
	}
	return best
}
