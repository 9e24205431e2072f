package matchers

import (
	"fmt"
	"math"
	"strings"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// Experiment names what a run measured that its report does not record.
// Empty fields are unknown and not compared.
type Experiment struct {
	// Model is the served model's name.
	Model string
	// Scenario names the scenario (e.g. "production").
	Scenario string
}

// lengthTolerance is how far the mean prompt or output length of two runs of
// one scenario may differ: ten standard errors of the production scenario's
// 70 s runs, far beyond sampling noise, far below a changed length setting.
const lengthTolerance = 0.05

// comparable refuses a candidate that is not the same experiment as the
// baseline, naming the first difference, and runs whose load was not delivered.
func (m *RegressionMatcher) comparable(cand *report.Report) error {
	b := m.baseline
	if err := sameRecordedExperiment(b, cand); err != nil {
		return err
	}
	if e := m.exp; e[0].Model != "" && e[1].Model != "" && e[0].Model != e[1].Model {
		return refuse("not the same experiment: model %q in the baseline, %q in the candidate", e[0].Model, e[1].Model)
	}
	if e := m.exp; e[0].Scenario != "" && e[1].Scenario != "" && e[0].Scenario != e[1].Scenario {
		return refuse("not the same experiment: scenario %q in the baseline, %q in the candidate", e[0].Scenario, e[1].Scenario)
	}
	for _, side := range []struct {
		name string
		r    *report.Report
	}{{"baseline", b}, {"candidate", cand}} {
		if v := m.bounds.violations(reportSubject(*side.r)); len(v) > 0 {
			return refuse("%s: load not delivered or run incomplete, refusing to compare: %s", side.name, strings.Join(v, "; "))
		}
	}
	if len(b.Stages) != len(cand.Stages) {
		return refuse("not the same experiment: the baseline has %d stages, the candidate %d", len(b.Stages), len(cand.Stages))
	}
	for i, bs := range b.Stages {
		if err := sameStage(bs, cand.Stages[i], true); err != nil {
			return err
		}
	}
	// A summary read from a file pools its stages and may not state their rates.
	return sameStage(b.Summary, cand.Summary, len(b.Stages) == 0)
}

// sameStage compares what one stage of each run shows of its scenario;
// withRate compares the requested load too.
func sameStage(b, c report.Stage, withRate bool) error {
	name := b.Name()
	if withRate && !sameFloat(b.RequestedRate, c.RequestedRate) || b.Concurrency != c.Concurrency {
		return refuse("not the same experiment: %s requested %s in the baseline, %s in the candidate", name, load(b), load(c))
	}
	_, bt := b.Distribution(report.TTFT)
	_, ct := c.Distribution(report.TTFT)
	if bt != ct {
		return refuse("not the same experiment: %s has TTFT (streaming) in the %s only", name, map[bool]string{true: "baseline", false: "candidate"}[bt])
	}
	for _, lm := range []struct {
		metric report.Metric
		what   string
	}{{report.PromptTokens, "prompt lengths"}, {report.OutputTokens, "output lengths (the length distribution or ignore_eos differ)"}} {
		bd, ok1 := b.Distribution(lm.metric)
		cd, ok2 := c.Distribution(lm.metric)
		if !ok1 || !ok2 || bd.Mean() <= 0 {
			continue
		}
		if d := cd.Mean()/bd.Mean() - 1; math.Abs(d) > lengthTolerance {
			return refuse("not the same experiment: %s mean %s %.0f tokens in the baseline, %.0f in the candidate (%+.1f%%, more than ±%.0f%%)",
				name, lm.what, bd.Mean(), cd.Mean(), 100*d, 100*lengthTolerance)
		}
	}
	return nil
}

func sameFloat(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func load(s report.Stage) string {
	if s.Concurrency > 0 {
		return fmt.Sprintf("concurrency %d", s.Concurrency)
	}
	return fmt.Sprintf("%g req/s", s.RequestedRate)
}

// latency compares the percentile of the two summaries with order-statistic
// intervals; report-file data (percentiles only) gets the point change and a refusal.
func (m *RegressionMatcher) latency(run *report.Report) error {
	bs, cs := m.baseline.Summary, run.Summary
	bd, ok1 := bs.Distribution(m.metric)
	cd, ok2 := cs.Distribution(m.metric)
	if !ok1 || !ok2 {
		return refuse("%s not measured in the %s", m.metric, map[bool]string{true: "candidate", false: "baseline"}[ok1])
	}
	br, bIsHist := bd.(ranker)
	cr, cIsHist := cd.(ranker)
	if !bIsHist || !cIsHist {
		return m.percentilesOnly(bd, cd, bIsHist)
	}
	nb, nc := br.Count()+tailFailures(bs, m.metric, br.Count()), cr.Count()+tailFailures(cs, m.metric, cr.Count())
	need := minSamples(m.p, m.minTail)
	if nb < need || nc < need {
		return refuse("too short a run: %d baseline and %d candidate samples, need >= %d each so that %d lie above the %s",
			nb, nc, need, m.minTail, report.PercentileName(m.p))
	}
	base, cand, rho, err := m.sides(run, br, cr, nb, nc)
	if err != nil {
		return err
	}
	b, c, point, lo, hi := ratioInterval(base, cand, m.p/100, m.confidence, rho)
	m.res.Base, m.res.Candidate = b, c
	m.res.Change, m.res.Low, m.res.High = point-1, lo-1, hi-1
	if math.IsInf(b, 1) {
		return refuse("the baseline's %s falls on its failed requests (%d failed): it is no baseline for latency", report.PercentileName(m.p), bs.Failures)
	}
	if !(b > 0) || math.IsNaN(point) {
		return refuse("baseline %s is %g, no ratio can be formed", report.PercentileName(m.p), b)
	}
	return nil
}

// percentilesOnly says what two report files allow: the point change of a
// percentile both hold, but no interval, so no verdict.
func (m *RegressionMatcher) percentilesOnly(bd, cd report.Distribution, baseIsHist bool) error {
	side := map[bool]string{true: "candidate", false: "baseline"}[baseIsHist]
	b, err1 := bd.Percentile(m.p)
	c, err2 := cd.Percentile(m.p)
	if err1 != nil || err2 != nil || !(b > 0) {
		return refuse("the %s holds percentiles only (no .hlog histograms) and not the %s: judge it against a tailgate run's report directory",
			side, report.PercentileName(m.p))
	}
	m.res.Base, m.res.Candidate, m.res.Change = b, c, c/b-1
	return refuse("the %s holds percentiles only (no .hlog histograms): the point change is %s (%s vs %s), but its confidence interval needs both runs' histograms, so no verdict",
		side, pct(c/b-1), ms(c), ms(b))
}

// errorRate compares failures/requests with Newcombe's interval.
func (m *RegressionMatcher) errorRate(bs, cs report.Stage) error {
	nb, nc := bs.Successes+bs.Failures, cs.Successes+cs.Failures
	if nb <= 0 || nc <= 0 {
		return refuse("no requests recorded in the %s", map[bool]string{true: "baseline", false: "candidate"}[nb <= 0])
	}
	m.res.Base, m.res.Candidate = float64(bs.Failures)/float64(nb), float64(cs.Failures)/float64(nc)
	m.res.Change, m.res.Low, m.res.High = proportionDiff(bs.Failures, nb, cs.Failures, nc, m.confidence)
	return nil
}

// throughput compares completed requests per second, counts taken as Poisson.
func (m *RegressionMatcher) throughput(bs, cs report.Stage) error {
	tb, tc := bs.Throughput.RequestsPerSec, cs.Throughput.RequestsPerSec
	if !(tb > 0) || !(tc > 0) || bs.Successes <= 0 || cs.Successes <= 0 {
		return refuse("requests per second unknown or zero (baseline %g, candidate %g)", tb, tc)
	}
	windowB, windowC := float64(bs.Successes)/tb, float64(cs.Successes)/tc
	point, lo, hi := countRatio(bs.Successes, windowB, cs.Successes, windowC, m.confidence)
	m.res.Base, m.res.Candidate = tb, tc
	m.res.Change, m.res.Low, m.res.High = 1-point, 1-hi, 1-lo
	return nil
}

// FailureMessage states both figures, the change with its interval and the tolerance.
func (m *RegressionMatcher) FailureMessage(any) string {
	verdict := "a regression beyond the tolerance is significant"
	if m.strict {
		verdict = "strict: the data do not show the change is within the tolerance"
	}
	return m.summary() + "\n" + verdict
}

// NegatedFailureMessage states the figures for a matcher expected to fail.
func (m *RegressionMatcher) NegatedFailureMessage(any) string {
	return m.summary() + "\nexpected a regression beyond the tolerance"
}

// summary is e.g. "TTFT p99 = 262 ms vs baseline 216 ms: +21.3% (95% CI +14.0%…+29.1%), tolerance +10%".
func (m *RegressionMatcher) summary() string {
	r := m.res
	conf := fmt.Sprintf("%g%%", 100*r.Confidence)
	switch m.what {
	case errorRateChange:
		return fmt.Sprintf("error rate = %.2f%% vs baseline %.2f%%: %+.2f points (%s CI %+.2f…%+.2f), tolerance %+.2f points",
			100*r.Candidate, 100*r.Base, 100*r.Change, conf, 100*r.Low, 100*r.High, 100*r.Tolerance)
	case throughputChange:
		return fmt.Sprintf("throughput = %.3g req/s vs baseline %.3g req/s: %s (%s CI %s…%s), tolerance %s",
			r.Candidate, r.Base, pct(-r.Change), conf, pct(-r.High), pct(-r.Low), pct(-r.Tolerance))
	}
	return fmt.Sprintf("%s = %s vs baseline %s: %s (%s CI %s…%s), tolerance %s",
		r.Name, ms(r.Candidate), ms(r.Base), pct(r.Change), conf, pct(r.Low), pct(r.High), pct(r.Tolerance))
}

func pct(f float64) string {
	if math.IsInf(f, 0) {
		return fmt.Sprintf("%+v", f)
	}
	if f == 0 {
		return "+0%"
	}
	if f == math.Trunc(f*100)/100 {
		return fmt.Sprintf("%+.0f%%", 100*f)
	}
	return fmt.Sprintf("%+.1f%%", 100*f)
}

func ms(s float64) string {
	v := 1000 * s
	switch {
	case math.IsInf(v, 1):
		return "a failed request"
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

// Measured states both figures, the change with its interval and the tolerance
// after a Match that got that far; empty otherwise.
func (m *RegressionMatcher) Measured() string {
	if math.IsNaN(m.res.Low) {
		return ""
	}
	return m.summary()
}
