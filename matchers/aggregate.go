package matchers

import (
	"fmt"
	"math"
	"strings"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// ThroughputMetric names one of a stage's throughput figures, spelled as
// inference-perf spells its key.
type ThroughputMetric string

// The throughput figures HaveThroughputAbove can judge (the rate metrics of
// the metric registry).
const (
	RequestsPerSec     = ThroughputMetric(report.RequestsPerSec)
	InputTokensPerSec  = ThroughputMetric(report.InputTokensPerSec)
	OutputTokensPerSec = ThroughputMetric(report.OutputTokensPerSec)
	TotalTokensPerSec  = ThroughputMetric(report.TotalTokensPerSec)
)

// of returns the figure t names in tp; ok is false when t is not a rate metric.
func (t ThroughputMetric) of(tp report.Throughput) (float64, bool) {
	i, ok := report.LookupMetric(string(t))
	if !ok {
		return 0, false
	}
	return i.Rate(tp)
}

// ScalarMatcher judges one figure of a report or stage (error rate,
// throughput, goodput) after checking the delivered-load precondition.
type ScalarMatcher struct {
	bounds  LoadBounds
	measure func(s subject) (ok bool, text string, err error)
	want    string
	notWant string
	text    string
}

// WithLoadBounds replaces the delivered-load precondition (DefaultLoadBounds).
func (m *ScalarMatcher) WithLoadBounds(b LoadBounds) *ScalarMatcher { m.bounds = b; return m }

// Match implements types.GomegaMatcher.
func (m *ScalarMatcher) Match(actual any) (bool, error) {
	s, err := subjectOf(actual)
	if err != nil {
		return false, err
	}
	if v := m.bounds.violations(s); len(v) > 0 {
		return false, fmt.Errorf("%s: %w", m.want, loadError(v))
	}
	ok, text, err := m.measure(s)
	m.text = s.stage.Name() + " " + text
	if err != nil {
		return false, refuse("%s: %s: %w", m.want, s.stage.Name(), err)
	}
	return ok, nil
}

// Measured describes what the last Match measured, pass or fail; empty
// before Match.
func (m *ScalarMatcher) Measured() string { return m.text }

// FailureMessage implements types.GomegaMatcher.
func (m *ScalarMatcher) FailureMessage(any) string { return m.text + ", want " + m.want }

// NegatedFailureMessage implements types.GomegaMatcher.
func (m *ScalarMatcher) NegatedFailureMessage(any) string { return m.text + ", want " + m.notWant }

// HaveErrorRateBelow succeeds when failed / all requests is below max (a
// fraction: 0.01 is 1%). The failure message lists the failures by label.
func HaveErrorRateBelow(max float64) *ScalarMatcher {
	return &ScalarMatcher{
		bounds:  DefaultLoadBounds(),
		want:    fmt.Sprintf("error rate < %s", percent(max)),
		notWant: fmt.Sprintf("error rate >= %s", percent(max)),
		measure: func(s subject) (bool, string, error) {
			st := s.stage
			total := st.Requests
			if total == 0 {
				return false, "", fmt.Errorf("no requests recorded")
			}
			rate := st.ErrorRate()
			if math.IsNaN(rate) || rate < 0 || rate > 1 {
				return false, "", fmt.Errorf("error rate %g from %d failures of %d requests is not a rate", rate, st.Failures, total)
			}
			text := fmt.Sprintf("error rate = %s (%d of %d failed)", percent(rate), st.Failures, total) + labelsText(st)
			return rate < max, text, nil
		},
	}
}

// HaveThroughputAbove succeeds when the throughput figure t is above min
// (per second). Note that inference-perf's summary throughput spans the idle
// time between stages; judge a stage for the stage's own rate.
func HaveThroughputAbove(t ThroughputMetric, min float64) *ScalarMatcher {
	return &ScalarMatcher{
		bounds:  DefaultLoadBounds(),
		want:    fmt.Sprintf("%s > %g", t, min),
		notWant: fmt.Sprintf("%s <= %g", t, min),
		measure: func(s subject) (bool, string, error) {
			v, known := t.of(s.stage.Throughput)
			if !known {
				return false, "", fmt.Errorf("unknown throughput figure %q (use requests_per_sec, input_tokens_per_sec, output_tokens_per_sec or total_tokens_per_sec)", t)
			}
			if s.stage.Successes == 0 {
				if s.stage.Failures > 0 { // nothing served: no throughput at all
					return false, fmt.Sprintf("%s = 0 (no request succeeded: %s)", t, failureSummary(s.stage)), nil
				}
				return false, "", fmt.Errorf("no successful requests, throughput not measured")
			}
			return v > min, fmt.Sprintf("%s = %.4g (%d successes)", t, v, s.stage.Successes), nil
		},
	}
}

// HaveGoodputAbove succeeds when goodput, the share of requests that met
// every configured per-request constraint, is above min percent. Failed
// requests count as not good: inference-perf's own percentage is over the
// successful requests only, so with failures the judged figure is
// good / (successes judged + failures), and the message shows both. The
// report must carry goodput (report.goodput.constraints set in the scenario).
func HaveGoodputAbove(min float64) *ScalarMatcher {
	return &ScalarMatcher{
		bounds:  DefaultLoadBounds(),
		want:    fmt.Sprintf("goodput > %g%%", min),
		notWant: fmt.Sprintf("goodput <= %g%%", min),
		measure: func(s subject) (bool, string, error) {
			g, st := s.stage.Goodput, s.stage
			if st.Successes == 0 && st.Failures > 0 { // no request was good
				return false, "goodput = 0% (no request succeeded: " + failureSummary(st) + ")", nil
			}
			if g == nil {
				return false, "", fmt.Errorf("goodput not in the report (set report.goodput.constraints in the scenario)")
			}
			if g.TotalRequests == 0 {
				return false, "", fmt.Errorf("goodput judged over 0 successful requests")
			}
			pct := g.Percentage
			text := fmt.Sprintf("goodput = %.2f%% (%d of %d good)", pct, g.GoodRequests, g.TotalRequests)
			if st.Failures > 0 {
				all := g.TotalRequests + st.Failures
				pct = 100 * float64(g.GoodRequests) / float64(all)
				text = fmt.Sprintf("goodput = %.2f%% (%d of %d good, the %d failed requests counted as not good; %.2f%% of the successes)",
					pct, g.GoodRequests, all, st.Failures, g.Percentage)
			}
			return pct > min, text + attainmentText(g), nil
		},
	}
}

// attainmentText lists the share of successes that met each constraint.
func attainmentText(g *report.Goodput) string {
	var parts []string
	for _, m := range sortedMetricKeys(g.Attainment) {
		parts = append(parts, fmt.Sprintf("%s %.2f%%", m, g.Attainment[m]))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; attainment " + strings.Join(parts, ", ")
}

// DeliveredLoadMatcher is the matcher HaveDeliveredLoad returns.
type DeliveredLoadMatcher struct {
	bounds     LoadBounds
	violations []string
	stage      string
}

// HaveDeliveredLoad succeeds when the report shows the load generator sent
// what the scenario asked for, when it asked: achieved vs requested rate per
// stage, schedule delay P50/P99, in-flight limit hits and sent vs scheduled
// requests (native engine), and no partial report. With no argument it uses
// DefaultLoadBounds. Its failure lists every violation.
func HaveDeliveredLoad(bounds ...LoadBounds) *DeliveredLoadMatcher {
	b := DefaultLoadBounds()
	if len(bounds) > 0 {
		b = bounds[0]
	}
	return &DeliveredLoadMatcher{bounds: b}
}

// Match implements types.GomegaMatcher.
func (m *DeliveredLoadMatcher) Match(actual any) (bool, error) {
	s, err := subjectOf(actual)
	if err != nil {
		return false, err
	}
	m.stage = s.stage.Name()
	m.violations = m.bounds.violations(s)
	return len(m.violations) == 0, nil
}

// Measured says whether the load was delivered and, if not, every violation.
func (m *DeliveredLoadMatcher) Measured() string {
	if len(m.violations) == 0 {
		return m.stage + ": load delivered (" + m.bounds.String() + ")"
	}
	return m.FailureMessage(nil)
}

// FailureMessage implements types.GomegaMatcher.
func (m *DeliveredLoadMatcher) FailureMessage(any) string {
	return "load not delivered: " + strings.Join(m.violations, "; ")
}

// NegatedFailureMessage implements types.GomegaMatcher.
func (m *DeliveredLoadMatcher) NegatedFailureMessage(any) string {
	return m.stage + ": load delivered (" + m.bounds.String() + "), want it not delivered"
}

// failureSummary says how many requests failed and why, e.g.
// "60 of 60 failed; 500 - Internal Server Error: 60".
func failureSummary(st report.Stage) string {
	total := st.Requests
	if total == 0 {
		total = st.Successes + st.Failures
	}
	return fmt.Sprintf("%d of %d failed", st.Failures, total) + labelsText(st)
}

// labelsText lists the failures by label, most frequent first ("; 500 - …: 3").
func labelsText(st report.Stage) string {
	if len(st.FailuresByLabel) == 0 {
		return ""
	}
	var parts []string
	for _, l := range sortedLabels(st.FailuresByLabel) {
		parts = append(parts, fmt.Sprintf("%s: %d", l, st.FailuresByLabel[l].Count))
	}
	return "; " + strings.Join(parts, ", ")
}

func percent(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", 100*f), "0"), ".") + "%"
}

func sortedLabels(m map[string]report.FailureLabel) []string {
	out := make([]string, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && less(m, out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func less(m map[string]report.FailureLabel, a, b string) bool {
	if m[a].Count != m[b].Count {
		return m[a].Count > m[b].Count
	}
	return a < b
}

func sortedMetricKeys(m map[report.Metric]float64) []report.Metric {
	out := make([]report.Metric, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
