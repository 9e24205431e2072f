package matchers

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/onsi/gomega/types"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// SLA is a set of promises a release must keep, loaded from a YAML file:
//
//	strict: false              # optional: pass percentiles only when their 95% CI is under the threshold
//	min_tail_samples: 10       # optional: k of the sample-count rule
//	latency:                   # per metric, per percentile: an upper bound with a unit
//	  ttft: {p50: 300ms, p99: 1200ms}
//	  itl: {p99: 50ms}
//	  request_latency: {p99: 30s}
//	error_rate: 1%             # or 0.01; failed / all requests must be below it (> 0)
//	throughput:                # lower bounds, per second
//	  output_tokens_per_sec: 1000
//	goodput_percentage: 95     # inference-perf goodput, percent
//	server:                    # the server's own metrics, upper bounds (inclusive)
//	  preemptions: {max: 0}
//	  kv_cache_usage: {max: 95%}
//	  queue_time: {p99: 500ms}
//	load:                      # delivered-load bounds (defaults: DefaultLoadBounds)
//	  min_achieved_ratio: 0.95
//	  max_schedule_lag_p50: 10ms
//	  max_schedule_lag_p99: 100ms
//	  max_in_flight_limit_hits: 0
//	  allow_partial: false
//
// Latency metric keys are those of the metric registry (report.Metrics
// entries with SLA set): ttft, itl, tpot, ntpot, request_latency (or e2e,
// e2e_latency, latency), schedule_delay, ttft_from_schedule,
// request_latency_from_schedule, or their inference-perf names; percentile
// keys are p50 (or median), p90, p95, p99, p99.9 or any pNN.
type SLA struct {
	// Source is the file the SLA came from.
	Source string
	// Strict turns on strict mode for every percentile promise.
	Strict bool
	// MinTailSamples is k of the sample-count rule.
	MinTailSamples int
	// Load holds the delivered-load bounds.
	Load LoadBounds
	// Latency holds the percentile promises in file order.
	Latency []LatencyPromise
	// ErrorRate is the error-rate bound (fraction); nil when not promised.
	ErrorRate *float64
	// Throughput holds the throughput lower bounds.
	Throughput []ThroughputPromise
	// GoodputPercentage is the goodput lower bound; nil when not promised.
	GoodputPercentage *float64
	// Server holds the bounds on the server's own metrics (the server block).
	Server []ServerPromise
	// Regression holds the promises judged against a baseline run; nil when not promised.
	Regression *Regression

	lines map[string]int // promise key -> line, for ordering
}

// LatencyPromise bounds one percentile of one metric.
type LatencyPromise struct {
	Metric report.Metric
	P      float64
	Max    time.Duration
	Line   int
}

// ThroughputPromise bounds one throughput figure from below.
type ThroughputPromise struct {
	Metric ThroughputMetric
	Min    float64
	Line   int
}

// Measurer is implemented by every matcher of this package: after Match,
// Measured describes what was measured, pass or fail (for the percentile
// matchers, with the confidence interval), so a suite can record it as a
// report entry even when the promise is kept.
type Measurer interface {
	Measured() string
}

// Promise is one line of an SLA as a matcher, with a stable name (suites
// turn each into its own spec, so JUnit shows one testcase per promise).
// Promise.Matcher implements Measurer.
type Promise struct {
	// Name is stable across runs, e.g. "TTFT p99 < 1.2s".
	Name string
	// Line is the line of the SLA file the promise comes from (0 for implied ones).
	Line int
	// Implied is true for a promise the SLA file does not state: delivered
	// load, and an error rate under ImpliedErrorRate when the file sets none.
	Implied bool
	// Matcher judges a *report.Report or a report.Stage.
	Matcher types.GomegaMatcher
}

// Promises lists every promise of the SLA as its own matcher, in a stable
// order: the implied ones first ("load delivered", then the implied error
// rate when the SLA sets no error_rate), then the file's lines in order.
// Each percentile matcher applies the SLA's strict mode, sample-count rule
// and load bounds. The zero SLA stands for "no SLA file": its promises are
// the implied ones, with DefaultLoadBounds.
func (s SLA) Promises() []Promise {
	load := s.loadBounds()
	out := s.impliedPromises(load)
	var rest []Promise
	k := s.MinTailSamples
	if k == 0 {
		k = MinTailSamples
	}
	for _, l := range s.Latency {
		m := HavePercentileBelow(l.Metric, l.P, l.Max.Seconds()).WithLoadBounds(load).WithMinTailSamples(k)
		if s.Strict {
			m.Strict()
		}
		name := fmt.Sprintf("%s %s < %s", shortName(l.Metric), report.PercentileName(l.P), l.Max)
		rest = append(rest, Promise{Name: name, Line: l.Line, Matcher: m})
	}
	if s.ErrorRate != nil {
		rest = append(rest, Promise{Name: "error rate < " + percent(*s.ErrorRate), Line: s.lines["error_rate"],
			Matcher: HaveErrorRateBelow(*s.ErrorRate).WithLoadBounds(load)})
	}
	for _, t := range s.Throughput {
		rest = append(rest, Promise{Name: fmt.Sprintf("%s > %g", t.Metric, t.Min), Line: t.Line,
			Matcher: HaveThroughputAbove(t.Metric, t.Min).WithLoadBounds(load)})
	}
	if s.GoodputPercentage != nil {
		rest = append(rest, Promise{Name: fmt.Sprintf("goodput > %g%%", *s.GoodputPercentage), Line: s.lines["goodput"],
			Matcher: HaveGoodputAbove(*s.GoodputPercentage).WithLoadBounds(load)})
	}
	rest = append(rest, s.serverPromises(load)...)
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].Line < rest[j].Line })
	out = append(out, rest...)
	return append(out, s.RegressionPromises("")...)
}

// SLAMatcher is the matcher MeetSLA returns.
type SLAMatcher struct {
	sla      SLA
	breaches []string
	refusals []string
	checked  int
	measured []string
}

// MeetSLA succeeds when the report keeps every promise of sla, the implied
// ones included (see SLA.Promises; MeetSLA(SLA{}) judges the implied
// promises alone). It evaluates all of them and its failure lists every
// breach at once, and the promises that could not be judged beside them. When
// the load was not delivered, or no promise breaks but some cannot be judged
// (missing metric, too few samples), Match returns an error wrapping
// ErrInconclusive that lists the refusals.
func MeetSLA(sla SLA) *SLAMatcher { return &SLAMatcher{sla: sla} }

// Match implements types.GomegaMatcher.
func (m *SLAMatcher) Match(actual any) (bool, error) {
	m.breaches, m.refusals, m.checked, m.measured = nil, nil, 0, nil
	ps := m.sla.Promises()
	defer func() {
		for _, p := range ps {
			if ms, ok := p.Matcher.(Measurer); ok && ms.Measured() != "" {
				m.measured = append(m.measured, p.Name+": "+ms.Measured())
			}
		}
	}()
	if _, err := ps[0].Matcher.Match(actual); err != nil {
		return false, fmt.Errorf("SLA %s not judged: %w", m.sla.source(), err)
	}
	for _, p := range ps[1:] {
		m.checked++
		ok, err := p.Matcher.Match(actual)
		switch {
		case err != nil:
			m.refusals = append(m.refusals, fmt.Sprintf("cannot judge %q: %v", p.Name, err))
		case !ok:
			m.breaches = append(m.breaches, fmt.Sprintf("%s: %s", p.Name, p.Matcher.FailureMessage(actual)))
		}
	}
	if len(m.refusals) > 0 && len(m.breaches) == 0 {
		return false, refuse("SLA %s: %d of %d promises could not be judged:\n  - %s", m.sla.source(), len(m.refusals), m.checked, strings.Join(m.refusals, "\n  - "))
	}
	return len(m.breaches) == 0, nil
}

// Measured lists what every promise measured in the last Match, one line each.
func (m *SLAMatcher) Measured() string { return strings.Join(m.measured, "\n") }

// FailureMessage implements types.GomegaMatcher.
func (m *SLAMatcher) FailureMessage(any) string {
	msg := fmt.Sprintf("SLA %s breached (%d of %d promises):\n  - %s", m.sla.source(), len(m.breaches), m.checked, strings.Join(m.breaches, "\n  - "))
	if len(m.refusals) > 0 {
		msg += fmt.Sprintf("\nand %d could not be judged:\n  - %s", len(m.refusals), strings.Join(m.refusals, "\n  - "))
	}
	return msg
}

// NegatedFailureMessage implements types.GomegaMatcher.
func (m *SLAMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("SLA %s kept (all %d promises), want a breach", m.sla.source(), m.checked)
}
