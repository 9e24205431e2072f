package matchers

import (
	"fmt"
	"math"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// SamplesNeeded is the sample-count rule's minimum for percentile p with k
// samples above it (k = MinTailSamples by default): n >= k/(1-p/100).
func SamplesNeeded(p float64, k int) int64 { return minSamples(p, k) }

// Power is the detection probability the planned durations aim for.
const Power = 0.95

// Spread is how much one run's percentile varies from run to run: the
// standard error of its logarithm for a run of length Over. It shrinks as
// 1/sqrt(duration).
type Spread struct {
	// LogSE is the standard error of the log of the percentile.
	LogSE float64
	// Over is the run length LogSE holds for.
	Over time.Duration
}

// At scales the spread to a run of length d.
func (s Spread) At(d time.Duration) float64 {
	return s.LogSE * math.Sqrt(s.Over.Seconds()/d.Seconds())
}

// DurationForPower is how long each of two unpaired runs must be for a
// regression of tolerance (relative) to be told from no change with the
// given power by an interval of the given two-sided confidence: the
// interval's half-width plus the power margin, (z + z_power)·√2·SE(d), must
// fit in log(1+tolerance). At that length an unchanged release also passes
// strict mode with that probability.
func DurationForPower(s Spread, tolerance, confidence, power float64) time.Duration {
	k := (zOf(confidence) + zOf(2*power-1)) * math.Sqrt2 * s.LogSE / math.Log1p(tolerance)
	return time.Duration(math.Ceil(s.Over.Seconds()*k*k)) * time.Second
}

// SpreadOf measures a run's own spread of its p-th percentile of metric
// from its histograms and timeline: the half-width of the order-statistic
// interval, widened by the dispersion of its tail between timeline blocks
// as the regression judge widens it, over the normal quantile. A run whose
// timeline does not hold the metric per interval is refused: independent
// samples would understate the spread.
func SpreadOf(r *report.Report, metric report.Metric, p float64) (Spread, error) {
	d, ok := r.Summary.Distribution(metric)
	rk, isHist := d.(ranker)
	if !ok || !isHist {
		return Spread{}, fmt.Errorf("%s: the run holds no %s histogram (a tailgate report directory with .hlog files is needed)", r.Source, metric)
	}
	n := rk.Count() + tailFailures(r.Summary, metric, rk.Count())
	over := runLength(r)
	if n < minSamples(p, MinTailSamples) || over <= 0 {
		return Spread{}, fmt.Errorf("%s: too few %s samples (%d) or no run length to measure a %s's spread", r.Source, metric, n, report.PercentileName(p))
	}
	q := p / 100
	v := rankValue(rk, nearestRank(n, q))
	b, ok, err := blocksOf(r, metric, v, countsFailures(metric), n)
	if err != nil {
		return Spread{}, fmt.Errorf("%s: %w", r.Source, err)
	}
	if !ok {
		return Spread{}, fmt.Errorf("%s: its timeline does not hold the %s per interval, so how much the %s varies between runs cannot be told from it", r.Source, metric, report.PercentileName(p))
	}
	side := tailSide{r: rk, n: n, inflate: math.Sqrt(b.dispersion())}
	lo, hi := logDistances(side, v, q, Confidence)
	if math.IsInf(lo+hi, 0) || math.IsNaN(lo+hi) {
		return Spread{}, fmt.Errorf("%s: the %s's interval is unbounded: too few samples", r.Source, report.PercentileName(p))
	}
	return Spread{LogSE: (lo + hi) / 2 / zOf(Confidence), Over: over}, nil
}

// runLength is how long the run's stages sent requests.
func runLength(r *report.Report) time.Duration {
	var d time.Duration
	for _, st := range r.Stages {
		d += max(st.SendDuration, st.Duration)
	}
	if d == 0 {
		d = max(r.Summary.SendDuration, r.Summary.Duration)
	}
	return d
}
