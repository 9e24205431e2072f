package report

import (
	"fmt"
	"math"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Kind says what a Histogram records: seconds or token counts.
type Kind int

const (
	// KindSeconds records latencies given in seconds, at 1 µs resolution, up to 24 h.
	KindSeconds Kind = iota
	// KindTokens records token counts, exactly up to 2048 and within 0.1% above, up to 64 Mi tokens.
	KindTokens
)

// String names the kind ("seconds" or "tokens").
func (k Kind) String() string {
	if k == KindTokens {
		return "tokens"
	}
	return "seconds"
}

// histogram geometry per kind: the unit one integer step stands for, and the largest value tracked.
const (
	secondsPerUnit   = 1e-6             // 1 µs
	highestSecondsUS = 24 * 3600 * 1e6  // 24 h in µs
	highestTokens    = 64 * 1024 * 1024 // tokens
	significantDigit = 3                // values within 0.1%
)

// Histogram is a Distribution backed by an HdrHistogram: fixed memory
// (about 200 KiB for seconds, whatever the sample count), mergeable, and able to
// answer any percentile. Count, Mean, Min and Max are exact; percentiles are
// the nearest-rank value, reported as the upper end of its 0.1%-wide bucket
// and clamped to [Min, Max], so a percentile never reads lower than the true
// order statistic by more than 1 µs. Values below zero are counted at zero
// (Min keeps the true value); values above the range are counted at the top.
// A Histogram is safe for concurrent use.
type Histogram struct {
	mu       sync.Mutex
	kind     Kind
	h        *hdrhistogram.Histogram
	sum      float64
	min, max float64
	clamped  int64 // samples outside the trackable range, recorded at its edge
}

// NewHistogram returns an empty histogram of the given kind (KindSeconds when omitted).
func NewHistogram(kind ...Kind) *Histogram {
	k := KindSeconds
	if len(kind) > 0 {
		k = kind[0]
	}
	highest := int64(highestSecondsUS)
	if k == KindTokens {
		highest = highestTokens
	}
	return &Histogram{
		kind: k,
		h:    hdrhistogram.New(1, highest, significantDigit),
		min:  math.Inf(1),
		max:  math.Inf(-1),
	}
}

// Kind returns what the histogram records.
func (h *Histogram) Kind() Kind { return h.kind }

func (h *Histogram) toUnits(v float64) int64 {
	if h.kind == KindSeconds {
		return int64(math.Round(v / secondsPerUnit))
	}
	return int64(math.Round(v))
}

func (h *Histogram) fromUnits(u int64) float64 {
	if h.kind == KindSeconds {
		return float64(u) * secondsPerUnit
	}
	return float64(u)
}

// Record adds one sample: seconds for KindSeconds, tokens for KindTokens.
// NaN is ignored.
func (h *Histogram) Record(v float64) {
	if math.IsNaN(v) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recordLocked(v, 1)
}

// RecordDuration adds one latency sample.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(d.Seconds()) }

// RecordDurations records every duration of ds under one lock, as Record would
// one by one; the load engine uses it for a request's inter-token gaps.
func (h *Histogram) RecordDurations(ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range ds {
		h.recordLocked(d.Seconds(), 1)
	}
}

func (h *Histogram) recordLocked(v float64, n int64) {
	top := h.h.HighestTrackableValue()
	var u int64
	// Compare as floats first: converting a value beyond int64 (or +Inf) is
	// undefined and on amd64 yields a negative number, which would read as 0.
	switch f := math.Round(v / h.fromUnits(1)); {
	case f < 0:
		h.clamped += n
	case f > float64(top):
		u = top
		h.clamped += n
	default:
		u = h.toUnits(v)
	}
	_ = h.h.RecordValues(u, n) // cannot fail: u is within range
	h.sum += v * float64(n)
	if v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

// Merge adds every sample of o to h. Both must have the same Kind; merging
// histograms of different kinds is a programming error and panics.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o == h {
		return
	}
	if o.kind != h.kind {
		panic(fmt.Sprintf("report: merging a %s histogram into a %s histogram", o.kind, h.kind))
	}
	o.mu.Lock()
	oc := o.h.Clone()
	sum, mn, mx, clamped := o.sum, o.min, o.max, o.clamped
	o.mu.Unlock()

	h.mu.Lock()
	defer h.mu.Unlock()
	h.h.Merge(oc)
	h.sum += sum
	h.min = math.Min(h.min, mn)
	h.max = math.Max(h.max, mx)
	h.clamped += clamped
}

// Clone returns an independent copy of h.
func (h *Histogram) Clone() *Histogram {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &Histogram{kind: h.kind, h: h.h.Clone(), sum: h.sum, min: h.min, max: h.max, clamped: h.clamped}
}

// Count returns the number of samples recorded.
func (h *Histogram) Count() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.h.TotalCount()
}

// Clamped returns how many samples fell outside the trackable range and were
// counted at its edge (negative values at 0, very large values at the top).
func (h *Histogram) Clamped() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clamped
}

// Mean returns the exact mean of the samples, or 0 when empty.
func (h *Histogram) Mean() float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.h.TotalCount()
	if n == 0 {
		return 0
	}
	return h.sum / float64(n)
}

// Min returns the exact smallest sample, or 0 when empty.
func (h *Histogram) Min() float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.TotalCount() == 0 {
		return 0
	}
	return h.min
}

// Max returns the exact largest sample, or 0 when empty.
func (h *Histogram) Max() float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.TotalCount() == 0 {
		return 0
	}
	return h.max
}

// Exact returns nil: a histogram answers any percentile.
func (h *Histogram) Exact() []float64 { return nil }

// Percentile returns the nearest-rank p-th percentile (rank = round(p/100·n),
// at least 1), p in (0,100]. It fails on an empty histogram or p out of range.
func (h *Histogram) Percentile(p float64) (float64, error) {
	if !(p > 0 && p <= 100) {
		return 0, fmt.Errorf("percentile %g out of range (0,100]", p)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.h.TotalCount()
	if n == 0 {
		return 0, fmt.Errorf("no samples recorded")
	}
	if p == 100 {
		return h.max, nil
	}
	return h.clampLocked(h.fromUnits(h.h.ValueAtPercentile(p))), nil
}

// ValueAtRank returns the r-th smallest sample (1-based), as Percentile
// reports values; r is clamped to [1, Count]. It returns 0 when empty.
func (h *Histogram) ValueAtRank(r int64) float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.h.TotalCount()
	if n == 0 {
		return 0
	}
	if r >= n {
		return h.max
	}
	if r <= 1 {
		return h.min
	}
	return h.clampLocked(h.fromUnits(h.h.ValueAtPercentile(100 * float64(r) / float64(n))))
}

func (h *Histogram) clampLocked(v float64) float64 {
	return math.Max(h.min, math.Min(h.max, v))
}
