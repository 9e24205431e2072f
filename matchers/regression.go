package matchers

import (
	"fmt"
	"math"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// RegressionMatcher judges a candidate run against a baseline run of the same
// experiment: a latency percentile, the error rate or the throughput may be
// worse than the baseline's by at most a tolerance. Build it with
// HaveNoRegressionFrom, HaveNoErrorRateRiseFrom or HaveNoThroughputDropFrom.
//
// By default it fails only when the regression beyond the tolerance is
// significant: the whole confidence interval of the change lies beyond it.
// Strict passes only when the whole interval lies within the tolerance, so a
// run too noisy to show that fails, and a run too short for the sample-count
// rule is refused. Runs that are not the same experiment, partial runs,
// undelivered load and report files without histograms are refused
// (ErrInconclusive), never passed.
type RegressionMatcher struct {
	baseline   *report.Report
	what       whatChanges
	metric     report.Metric
	p          float64
	tolerance  float64
	confidence float64
	strict     bool
	bounds     LoadBounds
	minTail    int
	exp        [2]Experiment
	cache      *TailCache

	res RegressionResult
}

// whatChanges says which figure a RegressionMatcher compares.
type whatChanges int

const (
	latencyChange whatChanges = iota
	errorRateChange
	throughputChange
)

// RegressionResult is what the last Match of a RegressionMatcher measured.
// Change, Low and High are oriented so that positive is worse: the relative
// rise of a latency, the absolute rise of the error rate (a fraction), the
// relative drop of throughput.
type RegressionResult struct {
	// Name says what was compared ("TTFT p99", "error rate", "throughput").
	Name string
	// Base and Candidate are the two runs' figures (seconds, fraction, req/s).
	Base, Candidate float64
	// Change is the point estimate; Low and High the confidence interval.
	Change, Low, High float64
	// Tolerance is the largest change allowed.
	Tolerance float64
	// Confidence is the interval's two-sided confidence.
	Confidence float64
	// Blocks counts each run's timeline blocks (baseline, candidate) behind
	// a latency interval; zero when a run has no timeline, and the interval
	// then treats its samples as independent.
	Blocks [2]int
	// Dispersion is how much more each run's count of samples above the
	// percentile varied between blocks than independent samples allow (>= 1).
	Dispersion [2]float64
	// Correlation is the two runs' block correlation, used when both replay
	// one seeded workload (a paired comparison); 0 otherwise.
	Correlation float64
}

// HaveNoRegressionFrom passes unless the candidate's p-th percentile of the
// latency metric is worse than the baseline's by more than tolerance
// (relative: 0.10 allows +10%), judged at Confidence. Failed requests count as
// samples beyond any latency, as in HavePercentileBelow.
func HaveNoRegressionFrom(baseline *report.Report, metric report.Metric, p, tolerance float64) *RegressionMatcher {
	return newRegression(baseline, latencyChange, metric, p, tolerance)
}

// HaveNoErrorRateRiseFrom passes unless the candidate's error rate exceeds the
// baseline's by more than points (absolute: 0.005 allows +0.5 percentage points).
func HaveNoErrorRateRiseFrom(baseline *report.Report, points float64) *RegressionMatcher {
	return newRegression(baseline, errorRateChange, "", 0, points)
}

// HaveNoThroughputDropFrom passes unless the candidate completed fewer
// requests per second than the baseline by more than tolerance (relative:
// 0.05 allows -5%).
func HaveNoThroughputDropFrom(baseline *report.Report, tolerance float64) *RegressionMatcher {
	return newRegression(baseline, throughputChange, "", 0, tolerance)
}

func newRegression(b *report.Report, w whatChanges, m report.Metric, p, tol float64) *RegressionMatcher {
	return &RegressionMatcher{baseline: b, what: w, metric: m, p: p, tolerance: tol,
		confidence: Confidence, bounds: DefaultLoadBounds(), minTail: MinTailSamples}
}

// Strict makes the matcher pass only when the data show the change is within
// the tolerance (the upper end of the interval), not merely that a
// regression beyond it is not proven.
func (m *RegressionMatcher) Strict() *RegressionMatcher { m.strict = true; return m }

// WithConfidence sets the interval's two-sided confidence (default Confidence).
func (m *RegressionMatcher) WithConfidence(c float64) *RegressionMatcher { m.confidence = c; return m }

// WithLoadBounds replaces the delivered-load bounds both runs must meet.
func (m *RegressionMatcher) WithLoadBounds(b LoadBounds) *RegressionMatcher { m.bounds = b; return m }

// WithExperiments names what each run measured beyond what a report records
// (model, scenario); the matcher refuses runs whose known names differ.
func (m *RegressionMatcher) WithExperiments(baseline, candidate Experiment) *RegressionMatcher {
	m.exp = [2]Experiment{baseline, candidate}
	return m
}

// WithTailCache shares the measurements of each run's timeline blocks
// between matchers that judge the same runs (one cache per set of runs).
func (m *RegressionMatcher) WithTailCache(c *TailCache) *RegressionMatcher { m.cache = c; return m }

// Result returns what the last Match measured.
func (m *RegressionMatcher) Result() RegressionResult { return m.res }

// Match implements types.GomegaMatcher on a candidate *report.Report (or report.Report).
func (m *RegressionMatcher) Match(actual any) (bool, error) {
	m.res = RegressionResult{Name: m.name(), Tolerance: m.tolerance, Confidence: m.confidence,
		Change: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if err := m.checkArgs(); err != nil {
		return false, err
	}
	cand, err := candidateOf(actual)
	if err != nil {
		return false, fmt.Errorf("%s: %w", m.res.Name, err)
	}
	if m.baseline == nil {
		return false, refuse("%s: no baseline report", m.res.Name)
	}
	if err := m.comparable(cand); err != nil {
		return false, fmt.Errorf("%s: %w", m.res.Name, err)
	}
	bs, cs := m.baseline.Summary, cand.Summary
	switch m.what {
	case errorRateChange:
		err = m.errorRate(bs, cs)
	case throughputChange:
		err = m.throughput(bs, cs)
	default:
		err = m.latency(cand)
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", m.res.Name, err)
	}
	if m.strict {
		return m.res.High <= m.tolerance, nil
	}
	return !(m.res.Low > m.tolerance), nil
}

func (m *RegressionMatcher) checkArgs() error {
	switch {
	case !(m.tolerance >= 0):
		return fmt.Errorf("%s: tolerance must be >= 0, got %g", m.res.Name, m.tolerance)
	case !(m.confidence > 0 && m.confidence < 1):
		return fmt.Errorf("%s: confidence must be in (0,1), got %g", m.res.Name, m.confidence)
	case m.what == latencyChange && !(m.p > 0 && m.p < 100):
		return fmt.Errorf("%s: percentile must be in (0,100), got %g", m.res.Name, m.p)
	}
	return nil
}

func candidateOf(actual any) (*report.Report, error) {
	switch a := actual.(type) {
	case *report.Report:
		if a == nil {
			return nil, refuse("no candidate report (nil *report.Report)")
		}
		return a, nil
	case report.Report:
		return &a, nil
	}
	return nil, fmt.Errorf("a regression is judged on a whole run: want a *report.Report, got %T", actual)
}

// name is the figure's short name, e.g. "TTFT p99".
func (m *RegressionMatcher) name() string {
	switch m.what {
	case errorRateChange:
		return "error rate"
	case throughputChange:
		return "throughput"
	}
	return shortName(m.metric) + " " + report.PercentileName(m.p)
}
