package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// StandardPercentiles lists the percentiles inference-perf writes into every
// STATS block, in its order (50 is written as "median").
func StandardPercentiles() []float64 { return []float64{0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9} }

// Stats is a Distribution read from a report file's STATS block: it knows the
// mean, min, max and only the percentiles the file holds (inference-perf
// computes them with linear interpolation over the raw samples).
//
// ReadDir sets N from the file's counts: successes.count for per-request
// metrics (TTFT, TPOT, NTPOT, request latency, token counts), load_summary.count
// for schedule_delay, failures.count for failed-request latency. Pooled ITL is
// a distribution over token gaps whose number the file does not hold; gaps of
// one request share that request's server state and are far from
// independent, so N is the number of successful requests: the conservative
// sample size for the sample-count rule. (For TTFT, successes.count slightly
// overcounts when some streamed responses had a single chunk.)
type Stats struct {
	// N is the sample count behind the block; -1 when unknown.
	N int64
	// MeanV, MinV and MaxV are the block's mean, min and max.
	MeanV, MinV, MaxV float64
	// Points maps a percentile (e.g. 99.9) to its value.
	Points map[float64]float64
}

// Count returns N.
func (s *Stats) Count() int64 { return s.N }

// Mean returns the block's mean.
func (s *Stats) Mean() float64 { return s.MeanV }

// Min returns the block's min.
func (s *Stats) Min() float64 { return s.MinV }

// Max returns the block's max.
func (s *Stats) Max() float64 { return s.MaxV }

// Exact lists the percentiles present, ascending, with 100 (the max) last.
func (s *Stats) Exact() []float64 {
	ps := make([]float64, 0, len(s.Points)+1)
	for p := range s.Points {
		ps = append(ps, p)
	}
	sort.Float64s(ps)
	if len(ps) == 0 || ps[len(ps)-1] != 100 {
		ps = append(ps, 100)
	}
	return ps
}

// Percentile returns the value the file holds for p; 100 is the max. Any
// other p is an error naming the percentiles available.
func (s *Stats) Percentile(p float64) (float64, error) {
	if !(p > 0 && p <= 100) {
		return 0, fmt.Errorf("percentile %g out of range (0,100]", p)
	}
	for q, v := range s.Points {
		if math.Abs(q-p) < 1e-9 {
			return v, nil
		}
	}
	if p == 100 {
		return s.MaxV, nil
	}
	return 0, fmt.Errorf("%s is not in the report file; available: %s", PercentileName(p), percentileList(s.Exact()))
}

// PercentileName spells p the way reports do: "p99", "p99.9", "p50".
func PercentileName(p float64) string {
	return "p" + strconv.FormatFloat(p, 'g', -1, 64)
}

// statsKey is inference-perf's key for percentile p ("median" for 50).
func statsKey(p float64) string {
	if p == 50 {
		return "median"
	}
	return PercentileName(p)
}

func percentileList(ps []float64) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = PercentileName(p)
		if p == 100 {
			names[i] = "max"
		}
	}
	return strings.Join(names, ", ")
}

// parseStatsKey turns "median", "p99.9" into a percentile; ok is false for other keys.
func parseStatsKey(k string) (float64, bool) {
	if k == "median" {
		return 50, true
	}
	if !strings.HasPrefix(k, "p") {
		return 0, false
	}
	p, err := strconv.ParseFloat(k[1:], 64)
	if err != nil || !(p > 0 && p <= 100) {
		return 0, false
	}
	return p, true
}

// StatsOf snapshots any Distribution into the percentiles ps (those it can
// answer); the result is what a report file would hold.
func StatsOf(d Distribution, ps []float64) *Stats {
	s := &Stats{N: d.Count(), MeanV: d.Mean(), MinV: d.Min(), MaxV: d.Max(), Points: map[float64]float64{}}
	for _, p := range ps {
		if v, err := d.Percentile(p); err == nil {
			s.Points[p] = v
		}
	}
	return s
}
