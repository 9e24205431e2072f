package matchers

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"

	"go.yaml.in/yaml/v3"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/internal/strictyaml"
)

// Regression is the SLA file's regression block: promises judged against
// the report directory of an earlier run of the same scenario.
//
//	regression:
//	  baseline: ../baselines/production   # relative to the SLA file; TAILGATE_BASELINE overrides
//	  confidence: 95%
//	  strict: false
//	  latency:
//	    ttft: {p99: 10%}                  # at most 10% worse than the baseline's P99 TTFT
//	  error_rate: +0.5%                   # at most 0.5 percentage points more
//	  throughput: -5%                     # at most 5% fewer requests per second
type Regression struct {
	// Baseline is the baseline report directory, resolved against the SLA file's directory.
	Baseline string
	// Confidence is the intervals' two-sided confidence.
	Confidence float64
	// Strict passes a promise only when its interval lies within the tolerance.
	Strict bool
	// Latency holds the percentile promises in file order.
	Latency []RegressionPromise
	// ErrorRate is the allowed rise in error rate (a fraction); nil when not promised.
	ErrorRate *float64
	// Throughput is the allowed relative drop in requests per second; nil when not promised.
	Throughput *float64

	lines map[string]int
}

// RegressionPromise allows one percentile of one metric to be worse than the
// baseline's by at most Tolerance (relative).
type RegressionPromise struct {
	Metric    report.Metric
	P         float64
	Tolerance float64
	Line      int
}

// parseRegression reads the regression block of the SLA file name.
func (p *slaParser) parseRegression(n *yaml.Node, path string) *Regression {
	r := &Regression{Confidence: Confidence, lines: map[string]int{}}
	p.mapping(n, path, map[string]func(*yaml.Node, string){
		"baseline": func(n *yaml.Node, path string) {
			s, _ := p.scalar(n, path, "a report directory")
			r.Baseline = s
			if s != "" && !filepath.IsAbs(s) {
				r.Baseline = filepath.Join(filepath.Dir(p.name), s)
			}
		},
		"confidence": func(n *yaml.Node, path string) {
			r.Confidence = p.fraction(n, path)
			if !(r.Confidence > 0.5 && r.Confidence < 1) && p.err == nil {
				p.fail(n, path, "confidence must be between 50%% and 100%% (e.g. 95%%), got %s", n.Value)
			}
		},
		"strict": func(n *yaml.Node, path string) { r.Strict = p.boolean(n, path) },
		"latency": func(n *yaml.Node, path string) {
			p.percentilePromises(n, path, func(m report.Metric, pc float64, v *yaml.Node, vpath string, line int) {
				r.Latency = append(r.Latency, RegressionPromise{Metric: m, P: pc, Tolerance: p.signedPercent(v, vpath, +1), Line: line})
			})
		},
		"error_rate": func(n *yaml.Node, path string) {
			f := p.signedPercent(n, path, +1)
			r.ErrorRate, r.lines["error_rate"] = &f, n.Line
		},
		"throughput": func(n *yaml.Node, path string) {
			f := p.signedPercent(n, path, -1)
			r.Throughput, r.lines["throughput"] = &f, n.Line
		},
	})
	if p.err == nil && len(r.Latency) == 0 && r.ErrorRate == nil && r.Throughput == nil {
		p.fail(n, path, "the regression block promises nothing; add latency, error_rate or throughput")
	}
	return r
}

// percentilePromises visits metric: {pNN: value} pairs.
func (p *slaParser) percentilePromises(n *yaml.Node, path string, f func(report.Metric, float64, *yaml.Node, string, int)) {
	p.eachKey(n, path, func(k, v *yaml.Node, kpath string) {
		m, ok := slaMetric(k.Value)
		if !ok {
			p.fail(k, kpath, "unknown metric %q; known: %s", k.Value, slaMetricKeys())
			return
		}
		p.eachKey(v, kpath, func(pk, pv *yaml.Node, ppath string) {
			pc, ok := parsePercentileKey(pk.Value)
			if !ok {
				p.fail(pk, ppath, "unknown percentile %q; write p50 (or median), p90, p95, p99, p99.9", pk.Value)
				return
			}
			f(m, pc, pv, ppath, pk.Line)
		})
	})
}

// signedPercent reads a tolerance such as 10%, +0.5% or -5% and returns its
// size as a fraction; sign is the direction that is worse (+1 a rise, -1 a drop),
// and a tolerance written with the other sign is an error.
func (p *slaParser) signedPercent(n *yaml.Node, path string, sign int) float64 {
	want := map[int]string{+1: "a percentage such as 10% or +0.5%", -1: "a percentage such as -5%"}[sign]
	v, err := strictyaml.Percent(n, path, want)
	if err != nil {
		p.keep(err)
		return 0
	}
	if v*float64(sign) < 0 {
		p.fail(n, path, "a tolerance of %s allows an improvement only; write %s", n.Value, want)
		return 0
	}
	return math.Abs(v)
}

// BaselineDir is the baseline report directory: override (TAILGATE_BASELINE)
// when set, else the block's baseline.
func (r *Regression) BaselineDir(override string) string {
	if override != "" {
		return override
	}
	return r.Baseline
}

// WithBaseline returns the SLA with its regression block comparing against
// dir (TAILGATE_BASELINE, --baseline) instead of the file's baseline; an empty
// dir or an SLA without a regression block is returned unchanged.
func (s SLA) WithBaseline(dir string) SLA {
	if dir == "" || s.Regression == nil {
		return s
	}
	r := *s.Regression
	r.Baseline = dir
	s.Regression = &r
	return s
}

// RegressionPromises lists the regression block's promises, each its own
// matcher against the baseline read from BaselineDir(override). When the
// baseline cannot be read every promise refuses to judge, naming the
// directory. It returns nil when the SLA has no regression block.
func (s SLA) RegressionPromises(override string) []Promise {
	r := s.Regression
	if r == nil {
		return nil
	}
	dir := r.BaselineDir(override)
	var base *report.Report
	var baseErr error
	if dir == "" {
		baseErr = refuse("no baseline: set regression.baseline in %s or TAILGATE_BASELINE", s.source())
	} else if base, baseErr = report.ReadDir(dir); baseErr != nil {
		baseErr = refuse("baseline %s: %w", dir, baseErr)
	}
	load := s.loadBounds()
	mk := func(name string, line int, m *RegressionMatcher) Promise {
		m.WithLoadBounds(load).WithConfidence(r.Confidence)
		if r.Strict {
			m.Strict()
		}
		return Promise{Name: name, Line: line, Matcher: baselineOrRefusal{m, baseErr}}
	}
	var out []Promise
	for _, l := range r.Latency {
		name := fmt.Sprintf("%s %s within %s of the baseline", shortName(l.Metric), report.PercentileName(l.P), pct(l.Tolerance))
		out = append(out, mk(name, l.Line, HaveNoRegressionFrom(base, l.Metric, l.P, l.Tolerance)))
	}
	if r.ErrorRate != nil {
		name := fmt.Sprintf("error rate within %+.2g points of the baseline", 100**r.ErrorRate)
		out = append(out, mk(name, r.lines["error_rate"], HaveNoErrorRateRiseFrom(base, *r.ErrorRate)))
	}
	if r.Throughput != nil {
		name := fmt.Sprintf("throughput within %s of the baseline", pct(-*r.Throughput))
		out = append(out, mk(name, r.lines["throughput"], HaveNoThroughputDropFrom(base, *r.Throughput)))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// baselineOrRefusal refuses every match when the baseline could not be read.
type baselineOrRefusal struct {
	*RegressionMatcher
	err error
}

// Match refuses with the baseline's error, or judges.
func (b baselineOrRefusal) Match(actual any) (bool, error) {
	if b.err != nil {
		return false, fmt.Errorf("%s: %w", b.name(), b.err)
	}
	return b.RegressionMatcher.Match(actual)
}

// DefaultRegression is what a comparison judges without an SLA file: P99 of
// TTFT, ITL and request latency at most 10% worse, the error rate at most 0.5
// points higher and throughput at most 5% lower, at Confidence.
func DefaultRegression() *Regression {
	lat := func(m report.Metric) RegressionPromise { return RegressionPromise{Metric: m, P: 99, Tolerance: 0.10} }
	er, tp := 0.005, 0.05
	return &Regression{Confidence: Confidence, ErrorRate: &er, Throughput: &tp,
		Latency: []RegressionPromise{lat(report.TTFT), lat(report.ITL), lat(report.RequestLatency)}}
}
