package report

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// DefaultWorstWidth is the width of the stretches searched for the worst one.
const DefaultWorstWidth = 10 * time.Second

// WorstInterval is the stretch of a run where one latency percentile was
// highest, computed from the client's own interval histograms (the .hlog
// timeline), with the server's state over the same stretch when the run
// scraped the server.
type WorstInterval struct {
	// Metric and Percentile name what was searched.
	Metric     Metric
	Percentile float64
	// Offset is the stretch's start from the start of the run's first stage; Width its length.
	Offset, Width time.Duration
	// Value is the percentile over the stretch (+Inf when it falls on a failed request).
	Value float64
	// Samples counts the stretch's samples of Metric; Failed its failed requests.
	Samples, Failed int64
	// Server is the server's state over the stretch; nil without server samples in it.
	Server *ServerStateOver
}

// TailFailures says how many beyond-any-threshold samples failed requests
// add to a metric's n samples, given failed and successful requests.
type TailFailures func(n, failed, succeeded int64) int64

// timedInterval is one client interval placed on the run's clock.
type timedInterval struct {
	start, end time.Time
	iv         Interval
}

// WorstOver finds, among the stretches of the given width that start at an
// interval boundary of the stages' timelines, the one where the p-th
// percentile of m was highest. A run shorter than three widths is searched
// with a third of its length (never less than two intervals); nil when the
// stages have no timeline or it is too short for that. tail, when not nil,
// adds failed requests to each stretch as samples beyond any threshold.
func WorstOver(stages []Stage, samples []ServerSample, m Metric, p float64, width time.Duration, tail TailFailures) (*WorstInterval, error) {
	ivs, origin, step := timedIntervals(stages)
	if len(ivs) == 0 || step <= 0 {
		return nil, nil
	}
	span := ivs[len(ivs)-1].end.Sub(ivs[0].start)
	if span < 3*width {
		width = (span / 3 / step) * step
	}
	if width < 2*step {
		return nil, nil
	}
	best, err := worstStretch(ivs, origin, width, m, p, tail)
	if err != nil {
		return nil, err
	}
	if best != nil {
		from := origin.Add(best.Offset)
		if st, ok := StateOver(samples, from, from.Add(best.Width)); ok {
			best.Server = &st
		}
	}
	return best, nil
}

// worstStretch returns the stretch with the highest percentile. Ties from
// consecutive starts (one bad moment seen from several windows) resolve to
// the middle one, so the bad moment sits in the middle of the stretch.
func worstStretch(ivs []timedInterval, origin time.Time, width time.Duration, m Metric, p float64, tail TailFailures) (*WorstInterval, error) {
	var ties []*WorstInterval
	last := -2
	pool := &stretchPool{ivs: ivs, m: m, kind: MetricKind(m), buckets: map[int][]bucket{}}
	for i := range ivs {
		w, err := pool.stretch(i, width, p, tail)
		if err != nil {
			return nil, err
		}
		if w == nil {
			continue
		}
		w.Offset = ivs[i].start.Sub(origin)
		switch {
		case len(ties) == 0 || w.Value > ties[0].Value:
			ties = []*WorstInterval{w}
		case w.Value == ties[0].Value && last == i-1:
			ties = append(ties, w)
		default:
			continue
		}
		last = i
	}
	if len(ties) == 0 {
		return nil, nil
	}
	return ties[len(ties)/2], nil
}

// timedIntervals lists the intervals of every stage timeline in time order,
// with the earliest start and the shortest nominal interval.
func timedIntervals(stages []Stage) ([]timedInterval, time.Time, time.Duration) {
	var out []timedInterval
	var origin time.Time
	var step time.Duration
	for _, s := range stages {
		t := s.Timeline
		if t == nil || len(t.Intervals) == 0 {
			continue
		}
		if origin.IsZero() || t.Start.Before(origin) {
			origin = t.Start
		}
		if step == 0 || (t.Interval > 0 && t.Interval < step) {
			step = t.Interval
		}
		for _, iv := range t.Intervals {
			out = append(out, timedInterval{start: t.Start.Add(iv.Start), end: t.Start.Add(iv.End()), iv: iv})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out, origin, step
}

// stretchPool answers the stretches of one search. It reads each
// interval's histogram once, as its non-empty buckets, keeps only those of
// the current stretch, and pools a stretch's buckets to rank them: a few
// dozen buckets a stretch instead of a merge of whole histograms.
type stretchPool struct {
	ivs     []timedInterval
	m       Metric
	kind    Kind
	bounds  []hdrhistogram.Bar // the value range of each counts index of the histograms' geometry
	buckets map[int][]bucket   // the non-empty buckets of each interval of the current stretch
	pooled  []bucket
}

// bucket is one non-empty HdrHistogram bucket: its value range, in the
// histogram's units, and its count.
type bucket struct{ from, to, count int64 }

// bucketsOf returns interval j's non-empty buckets of the metric.
func (sp *stretchPool) bucketsOf(j int) ([]bucket, error) {
	if b, ok := sp.buckets[j]; ok {
		return b, nil
	}
	e, ok := sp.ivs[j].iv.hist[sp.m]
	var out []bucket
	if ok && e.count > 0 {
		hd, err := hdrhistogram.Decode(e.data)
		if err != nil {
			return nil, fmt.Errorf("decoding the %s histogram of the interval at %s: %w", sp.m, sp.ivs[j].iv.Start, err)
		}
		if sp.bounds == nil {
			sp.bounds = indexBounds(hd)
		}
		for idx, c := range hd.Export().Counts {
			if c != 0 && idx < len(sp.bounds) {
				out = append(out, bucket{from: sp.bounds[idx].From, to: sp.bounds[idx].To, count: c})
			}
		}
	}
	sp.buckets[j] = out
	return out, nil
}

// indexBounds lists the value range of every counts index of h's geometry,
// in index order, as HdrHistogram's own iteration visits them.
func indexBounds(h *hdrhistogram.Histogram) []hdrhistogram.Bar {
	all := hdrhistogram.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
	_ = all.RecordValue(h.HighestTrackableValue())
	return all.Distribution()
}

// stretch pools the intervals from i that end within width of its start
// and answers the percentile over them; nil when they do not cover the
// width (the run's end) or hold no sample.
func (sp *stretchPool) stretch(i int, width time.Duration, p float64, tail TailFailures) (*WorstInterval, error) {
	delete(sp.buckets, i-1)
	end := sp.ivs[i].start.Add(width)
	sp.pooled = sp.pooled[:0]
	var n, failed, completed int64
	covered := false
	for j := i; j < len(sp.ivs); j++ {
		t := sp.ivs[j]
		if t.end.After(end.Add(time.Millisecond)) {
			covered = true
			break
		}
		covered = !t.end.Before(end.Add(-time.Millisecond))
		failed += t.iv.Failed
		completed += t.iv.Completed
		bs, err := sp.bucketsOf(j)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			sp.pooled = append(sp.pooled, b)
			n += b.count
		}
	}
	if !covered {
		return nil, nil
	}
	f := int64(0)
	if tail != nil {
		f = tail(n, failed, completed-failed)
	}
	if n+f == 0 {
		return nil, nil
	}
	w := &WorstInterval{Metric: sp.m, Percentile: p, Width: width, Samples: n, Failed: failed, Value: math.Inf(1)}
	if rank := int64(math.Ceil(p/100*float64(n+f) - 1e-9)); rank <= n {
		w.Value = (&Histogram{kind: sp.kind}).fromUnits(valueAtRank(sp.pooled, max(rank, 1)))
	}
	return w, nil
}

// valueAtRank is the r-th smallest sample of the buckets, as
// Histogram.ValueAtRank answers it: the lowest value of the first bucket for
// r = 1, else the highest value of the bucket holding rank r.
func valueAtRank(bs []bucket, r int64) int64 {
	sort.Slice(bs, func(i, j int) bool { return bs[i].to < bs[j].to })
	if r <= 1 {
		return bs[0].from
	}
	cum := int64(0)
	for _, b := range bs {
		if cum += b.count; cum >= r {
			return b.to
		}
	}
	return bs[len(bs)-1].to
}

// String says where the stretch is and what it held, e.g. "worst 10s at
// t=310s: TTFT p99 3.1s (n=150), up to 87 waiting, KV cache up to 98%, 12
// preemptions".
func (w *WorstInterval) String() string {
	value := FormatValue(w.Metric, w.Value)
	if math.IsInf(w.Value, 1) {
		value = "a failed request"
	}
	parts := []string{fmt.Sprintf("%s %s %s (n=%d%s)", shortName(w.Metric), PercentileName(w.Percentile), value, w.Samples, failedWord(w.Failed))}
	if s := w.Server; s != nil {
		add := func(v float64, format string, scale float64) {
			if !math.IsNaN(v) {
				parts = append(parts, fmt.Sprintf(format, trimFloat(v*scale, 3)))
			}
		}
		add(s.MaxWaiting, "up to %s waiting", 1)
		add(s.MaxRunning, "up to %s running", 1)
		add(s.MaxKVCacheUsage, "KV cache up to %s%%", 100)
		add(s.Preemptions, "%s preemptions", 1)
	}
	return fmt.Sprintf("worst %s at t=%s: %s", w.Width.Round(time.Millisecond), w.Offset.Round(time.Second/10), strings.Join(parts, ", "))
}

func failedWord(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d failed", n)
}

// MarshalJSON writes the stretch with times in seconds, the value in
// seconds (tokens for token metrics) or null when it fell on a failed
// request, and the server's state when known.
func (w *WorstInterval) MarshalJSON() ([]byte, error) {
	o := obj{
		{"metric", string(w.Metric)}, {"percentile", w.Percentile},
		{"start_s", w.Offset.Seconds()}, {"width_s", w.Width.Seconds()},
		{"value", num(w.Value)}, {"samples", w.Samples}, {"failed", w.Failed},
		{"text", w.String()},
	}
	if s := w.Server; s != nil {
		o = append(o, kv{"server", obj{
			{"max_waiting", num(s.MaxWaiting)}, {"max_running", num(s.MaxRunning)},
			{"max_kv_cache_usage", num(s.MaxKVCacheUsage)}, {"preemptions", num(s.Preemptions)},
			{"scrapes", s.Scrapes},
		}})
	}
	return json.Marshal(o)
}
