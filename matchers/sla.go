package matchers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/gomega/types"
	"go.yaml.in/yaml/v3"

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

// LoadSLA reads and validates an SLA file. Unknown keys, wrong types,
// durations without a unit and an SLA with no promise are errors naming the
// file, line and key.
func LoadSLA(path string) (SLA, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return SLA{}, fmt.Errorf("load SLA: %w", err)
	}
	return ParseSLA(data, path)
}

// ParseSLA parses SLA YAML; name labels errors (a file name).
func ParseSLA(data []byte, name string) (SLA, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return SLA{}, fmt.Errorf("%s: empty SLA file; promise at least one threshold (e.g. latency: {ttft: {p99: 1s}})", name)
		}
		return SLA{}, fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := 0
		if err == nil {
			line = extra.Line
		}
		return SLA{}, fmt.Errorf("%s:%d: a second YAML document starts here (---); put every promise in one document", name, line)
	}
	p := &slaParser{name: name}
	sla := SLA{Source: name, MinTailSamples: MinTailSamples, Load: DefaultLoadBounds(), lines: map[string]int{}}
	root := doc.Content[0]
	p.mapping(root, "", map[string]func(*yaml.Node, string){
		"strict":           func(n *yaml.Node, path string) { sla.Strict = p.boolean(n, path) },
		"min_tail_samples": func(n *yaml.Node, path string) { sla.MinTailSamples = p.positiveInt(n, path) },
		"latency": func(n *yaml.Node, path string) {
			p.percentilePromises(n, path, func(m report.Metric, pc float64, pv *yaml.Node, ppath string, line int) {
				d := p.duration(pv, ppath)
				if d <= 0 && p.err == nil {
					p.fail(pv, ppath, "threshold must be positive")
				}
				sla.Latency = append(sla.Latency, LatencyPromise{Metric: m, P: pc, Max: d, Line: line})
			})
		},
		"error_rate": func(n *yaml.Node, path string) {
			f := p.fraction(n, path)
			if f <= 0 && p.err == nil {
				p.fail(n, path, "error rate must be above 0: the promise is \"below\" it, so 0 could never be kept; for \"no failures at all\" write a bound under one request in the run, e.g. 0.01%%")
			}
			sla.ErrorRate = &f
			sla.lines["error_rate"] = n.Line
		},
		"throughput": func(n *yaml.Node, path string) {
			p.eachKey(n, path, func(k, v *yaml.Node, kpath string) {
				t := ThroughputMetric(k.Value)
				if _, ok := t.of(report.Throughput{}); !ok {
					p.fail(k, kpath, "unknown throughput figure %q; known: requests_per_sec, input_tokens_per_sec, output_tokens_per_sec, total_tokens_per_sec", k.Value)
					return
				}
				sla.Throughput = append(sla.Throughput, ThroughputPromise{Metric: t, Min: p.nonNegative(v, kpath), Line: k.Line})
			})
		},
		"goodput_percentage": func(n *yaml.Node, path string) {
			f := p.nonNegative(n, path)
			if f > 100 && p.err == nil {
				p.fail(n, path, "a percentage must be at most 100, got %g", f)
			}
			sla.GoodputPercentage = &f
			sla.lines["goodput"] = n.Line
		},
		"server":     func(n *yaml.Node, path string) { sla.Server = p.server(n, path) },
		"regression": func(n *yaml.Node, path string) { sla.Regression = p.parseRegression(n, path) },
		"load": func(n *yaml.Node, path string) {
			b := &sla.Load
			p.mapping(n, path, map[string]func(*yaml.Node, string){
				"min_achieved_ratio": func(n *yaml.Node, path string) {
					b.MinAchievedRatio = p.fraction(n, path)
				},
				"poisson_sigmas":           func(n *yaml.Node, path string) { b.PoissonSigmas = p.nonNegative(n, path) },
				"max_schedule_lag_p50":     func(n *yaml.Node, path string) { b.MaxLagP50 = p.duration(n, path) },
				"max_schedule_lag_p99":     func(n *yaml.Node, path string) { b.MaxLagP99 = p.duration(n, path) },
				"max_in_flight_limit_hits": func(n *yaml.Node, path string) { b.MaxInFlightLimitHits = int64(p.nonNegativeInt(n, path)) },
				"allow_partial":            func(n *yaml.Node, path string) { b.AllowPartial = p.boolean(n, path) },
			})
		},
	})
	if p.err != nil {
		return SLA{}, p.err
	}
	if len(sla.Latency) == 0 && sla.ErrorRate == nil && len(sla.Throughput) == 0 && sla.GoodputPercentage == nil && len(sla.Server) == 0 && sla.Regression == nil {
		return SLA{}, fmt.Errorf("%s: the SLA promises nothing; add latency, error_rate, throughput, goodput_percentage, server or regression", name)
	}
	return sla, nil
}

func parsePercentileKey(k string) (float64, bool) {
	if k == "median" {
		return 50, true
	}
	if !strings.HasPrefix(k, "p") {
		return 0, false
	}
	f, err := strconv.ParseFloat(k[1:], 64)
	if err != nil || !(f > 0 && f < 100) {
		return 0, false
	}
	return f, true
}

type slaParser struct {
	name string
	err  error
}

func (p *slaParser) fail(n *yaml.Node, path, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s:%d: %s: %s", p.name, n.Line, path, fmt.Sprintf(format, args...))
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// eachKey visits every key of a mapping node, refusing duplicates.
func (p *slaParser) eachKey(n *yaml.Node, path string, f func(k, v *yaml.Node, kpath string)) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		if seen[k.Value] {
			p.fail(k, kp, "duplicate key")
			return
		}
		seen[k.Value] = true
		f(k, v, kp)
	}
}

// mapping visits a mapping node whose keys must all be in fields.
func (p *slaParser) mapping(n *yaml.Node, path string, fields map[string]func(*yaml.Node, string)) {
	p.eachKey(n, path, func(k, v *yaml.Node, kp string) {
		f, ok := fields[k.Value]
		if !ok {
			p.fail(k, kp, "unknown key %q; known keys here: %s", k.Value, sortedKeys(fields))
			return
		}
		f(v, kp)
	})
}

func (p *slaParser) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.fail(n, path, "want %s, got %s", want, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (p *slaParser) boolean(n *yaml.Node, path string) bool {
	s, ok := p.scalar(n, path, "true or false")
	if !ok {
		return false
	}
	if n.Tag != "!!bool" {
		p.fail(n, path, "want true or false, got %q", s)
		return false
	}
	return s == "true"
}

func (p *slaParser) number(n *yaml.Node, path string) float64 {
	s, ok := p.scalar(n, path, "a number")
	if !ok {
		return 0
	}
	if n.Tag != "!!int" && n.Tag != "!!float" {
		p.fail(n, path, "want a number, got %q", s)
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.fail(n, path, "want a finite number, got %q", s)
	}
	return f
}

func (p *slaParser) nonNegative(n *yaml.Node, path string) float64 {
	f := p.number(n, path)
	if f < 0 && p.err == nil {
		p.fail(n, path, "must not be negative, got %g", f)
	}
	return f
}

func (p *slaParser) nonNegativeInt(n *yaml.Node, path string) int {
	f := p.nonNegative(n, path)
	if f != float64(int(f)) && p.err == nil {
		p.fail(n, path, "want a whole number, got %g", f)
	}
	return int(f)
}

func (p *slaParser) positiveInt(n *yaml.Node, path string) int {
	i := p.nonNegativeInt(n, path)
	if i < 1 && p.err == nil {
		p.fail(n, path, "must be at least 1")
	}
	return i
}

// fraction reads "1%" or 0.01 as 0.01; it must lie in [0,1].
func (p *slaParser) fraction(n *yaml.Node, path string) float64 {
	s, ok := p.scalar(n, path, "a fraction (0.01) or a percentage (1%)")
	if !ok {
		return 0
	}
	var f float64
	if pc, isPct := strings.CutSuffix(strings.TrimSpace(s), "%"); isPct {
		v, err := strconv.ParseFloat(strings.TrimSpace(pc), 64)
		if err != nil {
			p.fail(n, path, "want a percentage like 1%%, got %q", s)
			return 0
		}
		f = v / 100
	} else {
		f = p.number(n, path)
	}
	if !(f >= 0 && f <= 1) && p.err == nil { // also refuses NaN and ±Inf
		p.fail(n, path, "want a fraction between 0 and 1 (or a percentage like 1%%), got %s", s)
	}
	return f
}

func (p *slaParser) duration(n *yaml.Node, path string) time.Duration {
	s, ok := p.scalar(n, path, "a duration such as 1200ms or 1.2s")
	if !ok {
		return 0
	}
	if n.Tag == "!!int" || n.Tag == "!!float" {
		p.fail(n, path, "%s has no unit; write e.g. %sms or %ss", s, s, s)
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.fail(n, path, "want a duration such as 1200ms or 1.2s, got %q", s)
		return 0
	}
	if d < 0 {
		p.fail(n, path, "must not be negative, got %s", s)
	}
	return d
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
