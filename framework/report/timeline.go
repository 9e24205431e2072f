package report

import (
	"fmt"
	"math"
	"sort"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// DefaultInterval is the length of one timeline interval when none is configured.
const DefaultInterval = time.Second

// TimelineMetrics lists the metrics kept per interval, in file order: every
// metric the native engine records per request (the latencies, the
// schedule's own delay, failed-request latency and the token counts), so a
// merge can recompute every distribution.
func TimelineMetrics() []Metric {
	return metricsWhere(func(i MetricInfo) bool { return i.Native })
}

// Timeline is one stage's measurements per fixed interval: counters and one
// HdrHistogram per metric, kept in HdrHistogram's compressed encoding so that
// memory grows with the number of intervals, never with the requests.
type Timeline struct {
	// Start is the wall-clock time the first interval began.
	Start time.Time
	// Interval is the nominal interval length (the last one may be shorter).
	Interval time.Duration
	// Intervals are in time order, without gaps.
	Intervals []Interval
}

// Interval is what happened during one interval of a stage. A request counts
// in the interval in which it ended; Sent counts sends in the interval.
type Interval struct {
	// Start is the interval's start as an offset from Timeline.Start.
	Start time.Duration
	// Length is the interval's length.
	Length time.Duration
	// Sent counts requests sent during the interval.
	Sent int64
	// Completed counts requests that ended during the interval, successful or not.
	Completed int64
	// Failed counts the completed requests that ended in an error.
	Failed int64
	// FailuresByLabel splits Failed by inference-perf's failure label.
	FailuresByLabel map[string]int64
	// InFlight is the number of requests in flight at the end of the interval.
	InFlight int64
	// OutputTokens sums the output tokens of the successes completed in the interval.
	OutputTokens int64

	hist map[Metric]encodedHistogram
}

// encodedHistogram is one interval histogram in HdrHistogram's V2 compressed
// base64 encoding (as an .hlog line carries it) with its sample count.
type encodedHistogram struct {
	data  []byte
	count int64
}

// SetHistogram stores h as the interval's histogram of m (encoded, so the
// caller may reset and reuse h). An empty h stores an empty histogram.
func (iv *Interval) SetHistogram(m Metric, h *Histogram) error {
	h.mu.Lock()
	data, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	n := h.h.TotalCount()
	h.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encoding the %s interval histogram: %w", m, err)
	}
	iv.setEncoded(m, data, n)
	return nil
}

func (iv *Interval) setEncoded(m Metric, data []byte, n int64) {
	if iv.hist == nil {
		iv.hist = map[Metric]encodedHistogram{}
	}
	iv.hist[m] = encodedHistogram{data: data, count: n}
}

// Count returns how many samples of m the interval holds.
func (iv Interval) Count(m Metric) int64 { return iv.hist[m].count }

// Histogram decodes the interval's histogram of m; it returns nil and no
// error when the interval holds none.
func (iv Interval) Histogram(m Metric) (*Histogram, error) {
	e, ok := iv.hist[m]
	if !ok {
		return nil, nil
	}
	hd, err := hdrhistogram.Decode(e.data)
	if err != nil {
		return nil, fmt.Errorf("decoding the %s histogram of the interval at %s: %w", m, iv.Start, err)
	}
	return histogramFromHDR(MetricKind(m), hd), nil
}

// Percentile returns the p-th percentile of m in the interval; ok is false
// when the interval has no sample of m.
func (iv Interval) Percentile(m Metric, p float64) (v float64, ok bool, err error) {
	if iv.Count(m) == 0 {
		return 0, false, nil
	}
	h, err := iv.Histogram(m)
	if err != nil || h == nil {
		return 0, false, err
	}
	v, err = h.Percentile(p)
	return v, err == nil, err
}

// AchievedRate is requests sent per second during the interval.
func (iv Interval) AchievedRate() float64 {
	if iv.Length <= 0 {
		return 0
	}
	return float64(iv.Sent) / iv.Length.Seconds()
}

// End is the interval's end as an offset from Timeline.Start.
func (iv Interval) End() time.Duration { return iv.Start + iv.Length }

// Merged returns the histogram of m over every interval (nil when no
// interval carries one): exactly the stage's distribution as recorded.
func (t *Timeline) Merged(m Metric) (*Histogram, error) {
	var out *Histogram
	for _, iv := range t.Intervals {
		h, err := iv.Histogram(m)
		if err != nil {
			return nil, err
		}
		if h == nil {
			continue
		}
		if out == nil {
			out = h
			continue
		}
		out.Merge(h)
	}
	return out, nil
}

// EncodedBytes is the memory the timeline's histograms take: the sum of
// their compressed encodings.
func (t *Timeline) EncodedBytes() int64 {
	var n int64
	for _, iv := range t.Intervals {
		for _, e := range iv.hist {
			n += int64(len(e.data))
		}
	}
	return n
}

// Metrics lists the metrics some interval carries a histogram of, in TimelineMetrics order.
func (t *Timeline) Metrics() []Metric {
	seen := map[Metric]bool{}
	for _, iv := range t.Intervals {
		for m := range iv.hist {
			seen[m] = true
		}
	}
	var out []Metric
	for _, m := range TimelineMetrics() {
		if seen[m] {
			out = append(out, m)
			delete(seen, m)
		}
	}
	rest := make([]Metric, 0, len(seen))
	for m := range seen {
		rest = append(rest, m)
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
	return append(out, rest...)
}

// histogramFromHDR wraps a decoded HdrHistogram. Min, Max and Mean come from
// its buckets (within the histogram's 0.1% resolution); withStats replaces
// them with exact figures when a report file holds them.
func histogramFromHDR(kind Kind, hd *hdrhistogram.Histogram) *Histogram {
	h := &Histogram{kind: kind, h: hd, min: math.Inf(1), max: math.Inf(-1)}
	if n := hd.TotalCount(); n > 0 {
		h.min = h.fromUnits(hd.Min())
		h.max = h.fromUnits(hd.Max())
		h.sum = h.fromUnits(1) * hd.Mean() * float64(n)
	}
	return h
}

// withStats sets the exact mean, min and max a report file holds for the
// same samples, so a histogram read back from .hlog files answers them as
// the run measured them.
func (h *Histogram) withStats(mean, lo, hi float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.h.TotalCount()
	if n == 0 {
		return
	}
	h.sum = mean * float64(n)
	h.min, h.max = lo, hi
}

// Reset empties h, keeping its kind and geometry, so it can record the next interval.
func (h *Histogram) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.h.Reset()
	h.sum, h.clamped = 0, 0
	h.min, h.max = math.Inf(1), math.Inf(-1)
}
