package study

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

// tailStat is a statistic of a run's TTFT tail whose run-to-run spread the
// study measures.
type tailStat struct {
	name string
	of   func(*report.Report) float64
}

// numTailStats is how many statistics tailStats returns.
const numTailStats = 3

// tailStats are P99 (what the promise judges), P95, and the mean of the
// percentiles 95, 95.5, …, 99.5 (the upper tail as a whole: roughly the
// mean TTFT above P95 without its top 0.5%).
func tailStats() [numTailStats]tailStat {
	return [numTailStats]tailStat{
		{"P99", p99},
		{"P95", func(r *report.Report) float64 { return percentileOf(r, 95) }},
		{"tail mean P95–P99.5", func(r *report.Report) float64 {
			var s float64
			for p := 95.0; p < 99.75; p += 0.5 {
				s += percentileOf(r, p)
			}
			return s / 10
		}},
	}
}

func percentileOf(r *report.Report, p float64) float64 {
	v, _ := r.Summary.Distributions[report.TTFT].Percentile(p)
	return v
}

// Spread is how much the log of the ratio of a tail statistic of two runs
// of an unchanged server varies at one duration, per design: what bounds
// any gate's power.
type Spread struct {
	Duration time.Duration
	// Stat names the statistic (P99, P95, tail mean).
	Stat string
	// Unpaired and Paired are the standard deviations of log(candidate /
	// baseline) over the repetitions.
	Unpaired, Paired float64
	// DetectUnpaired and DetectPaired are the true changes a one-sided test
	// with 1% false fails detects with 95% power, read from the measured
	// distribution of the log ratio itself (its 99th minus its 5th
	// percentile), so heavy tails count.
	DetectUnpaired, DetectPaired float64
}

func spreadsOf(d time.Duration, outs []outcome) []Spread {
	var out []Spread
	for si, st := range tailStats() {
		col := func(design int) []float64 {
			v := make([]float64, len(outs))
			for i, o := range outs {
				v[i] = o.logRatio[si][design]
			}
			slices.Sort(v)
			return v
		}
		u, p := col(0), col(1)
		out = append(out, Spread{Duration: d, Stat: st.name, Unpaired: sd(u), Paired: sd(p),
			DetectUnpaired: math.Expm1(at(u, 0.99) - at(u, 0.05)), DetectPaired: math.Expm1(at(p, 0.99) - at(p, 0.05))})
	}
	return out
}

func sd(v []float64) float64 {
	var s, ss float64
	for _, x := range v {
		s, ss = s+x, ss+x*x
	}
	n := float64(len(v))
	return math.Sqrt(math.Max(0, (ss-s*s/n)/(n-1)))
}

// at is the q-quantile of sorted v (nearest rank).
func at(v []float64, q float64) float64 {
	return v[min(len(v)-1, max(0, int(math.Ceil(q*float64(len(v))))-1))]
}

// WriteSpreads prints each duration's spread of the tail statistics' ratios
// and the true change detectable at 95% power with 1% false fails.
func (r Result) WriteSpreads(w io.Writer) error {
	fmt.Fprintln(w, "| run | statistic | SD log ratio unpaired | paired | detectable at 95% power, 1% false fails: unpaired | paired |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|")
	for _, s := range r.Spreads {
		_, err := fmt.Fprintf(w, "| %s | %s | %.3f | %.3f | %+.1f%% | %+.1f%% |\n",
			s.Duration, s.Stat, s.Unpaired, s.Paired, 100*s.DetectUnpaired, 100*s.DetectPaired)
		if err != nil {
			return err
		}
	}
	return nil
}

// SpreadMeasured says where MeasuredSpread's figure comes from.
const SpreadMeasured = "production, 600 s runs, qwen3-8b-h100 simulator with noise, measured 2026-12-01"

// productionP99TTFTLogSE is one 600 s production run's standard error of
// log P99 TTFT: the SD of the unpaired ratio's log (0.096 over 500 run
// pairs) over √2, from the verdict study.
const productionP99TTFTLogSE = 0.096 / math.Sqrt2

// MeasuredSpread is one run's spread of a percentile as the verdict study
// measured it, for planning when no baseline run exists; ok is false for a
// scenario, metric or percentile the study did not measure.
func MeasuredSpread(scenario string, metric report.Metric, p float64) (matchers.Spread, bool) {
	if scenario != "production" || metric != report.TTFT || p != 99 {
		return matchers.Spread{}, false
	}
	return matchers.Spread{LogSE: productionP99TTFTLogSE, Over: 600 * time.Second}, true
}
