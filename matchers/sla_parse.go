package matchers

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/internal/strictyaml"
)

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
	root, err := strictyaml.Document(data, "promise")
	if err != nil {
		return SLA{}, inFile(name, err)
	}
	if root == nil {
		return SLA{}, fmt.Errorf("%s: empty SLA file; promise at least one threshold (e.g. latency: {ttft: {p99: 1s}})", name)
	}
	p := &slaParser{name: name}
	sla := SLA{Source: name, MinTailSamples: MinTailSamples, Load: DefaultLoadBounds(), lines: map[string]int{}}
	p.mapping(root, "", p.topLevel(&sla))
	if p.err != nil {
		return SLA{}, p.err
	}
	if sla.promisesNothing() {
		return SLA{}, fmt.Errorf("%s: the SLA promises nothing; add latency, error_rate, throughput, goodput_percentage, server or regression", name)
	}
	return sla, nil
}

// promisesNothing is true for an SLA file that states no promise at all.
func (s SLA) promisesNothing() bool {
	return len(s.Latency) == 0 && s.ErrorRate == nil && len(s.Throughput) == 0 &&
		s.GoodputPercentage == nil && len(s.Server) == 0 && s.Regression == nil
}

// topLevel is the reader of each key the SLA file takes, filling sla.
func (p *slaParser) topLevel(sla *SLA) map[string]func(*yaml.Node, string) {
	return map[string]func(*yaml.Node, string){
		"strict":           func(n *yaml.Node, path string) { sla.Strict = p.boolean(n, path) },
		"min_tail_samples": func(n *yaml.Node, path string) { sla.MinTailSamples = p.positiveInt(n, path) },
		"latency":          func(n *yaml.Node, path string) { sla.Latency = p.latency(n, path) },
		"error_rate": func(n *yaml.Node, path string) {
			sla.ErrorRate, sla.lines["error_rate"] = p.errorRate(n, path), n.Line
		},
		"throughput": func(n *yaml.Node, path string) { sla.Throughput = p.throughput(n, path) },
		"goodput_percentage": func(n *yaml.Node, path string) {
			sla.GoodputPercentage, sla.lines["goodput"] = p.goodput(n, path), n.Line
		},
		"server":     func(n *yaml.Node, path string) { sla.Server = p.server(n, path) },
		"regression": func(n *yaml.Node, path string) { sla.Regression = p.parseRegression(n, path) },
		"load":       func(n *yaml.Node, path string) { p.loadBounds(n, path, &sla.Load) },
	}
}

// latency reads the latency block: metric: {pNN: duration}.
func (p *slaParser) latency(n *yaml.Node, path string) []LatencyPromise {
	var out []LatencyPromise
	p.percentilePromises(n, path, func(m report.Metric, pc float64, pv *yaml.Node, ppath string, line int) {
		d := p.duration(pv, ppath)
		if d <= 0 && p.err == nil {
			p.fail(pv, ppath, "threshold must be positive")
		}
		out = append(out, LatencyPromise{Metric: m, P: pc, Max: d, Line: line})
	})
	return out
}

// errorRate reads the error-rate bound, which must be above 0.
func (p *slaParser) errorRate(n *yaml.Node, path string) *float64 {
	f := p.fraction(n, path)
	if f <= 0 && p.err == nil {
		p.fail(n, path, "error rate must be above 0: the promise is \"below\" it, so 0 could never be kept; for \"no failures at all\" write a bound under one request in the run, e.g. 0.01%%")
	}
	return &f
}

// throughput reads the throughput block: figure: lower bound per second.
func (p *slaParser) throughput(n *yaml.Node, path string) []ThroughputPromise {
	var out []ThroughputPromise
	p.eachKey(n, path, func(k, v *yaml.Node, kpath string) {
		t := ThroughputMetric(k.Value)
		if _, ok := t.of(report.Throughput{}); !ok {
			p.fail(k, kpath, "unknown throughput figure %q; known: requests_per_sec, input_tokens_per_sec, output_tokens_per_sec, total_tokens_per_sec", k.Value)
			return
		}
		out = append(out, ThroughputPromise{Metric: t, Min: p.nonNegative(v, kpath), Line: k.Line})
	})
	return out
}

// goodput reads the goodput lower bound, a percentage.
func (p *slaParser) goodput(n *yaml.Node, path string) *float64 {
	f := p.nonNegative(n, path)
	if f > 100 && p.err == nil {
		p.fail(n, path, "a percentage must be at most 100, got %g", f)
	}
	return &f
}

// loadBounds reads the load block over the defaults in b.
func (p *slaParser) loadBounds(n *yaml.Node, path string, b *LoadBounds) {
	p.mapping(n, path, map[string]func(*yaml.Node, string){
		"min_achieved_ratio":       func(n *yaml.Node, path string) { b.MinAchievedRatio = p.fraction(n, path) },
		"poisson_sigmas":           func(n *yaml.Node, path string) { b.PoissonSigmas = p.nonNegative(n, path) },
		"max_schedule_lag_p50":     func(n *yaml.Node, path string) { b.MaxLagP50 = p.duration(n, path) },
		"max_schedule_lag_p99":     func(n *yaml.Node, path string) { b.MaxLagP99 = p.duration(n, path) },
		"max_in_flight_limit_hits": func(n *yaml.Node, path string) { b.MaxInFlightLimitHits = int64(p.nonNegativeInt(n, path)) },
		"allow_partial":            func(n *yaml.Node, path string) { b.AllowPartial = p.boolean(n, path) },
	})
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

// slaParser walks an SLA file with the strictyaml readers, keeping the first error
// (located as "file:line: path: …") and letting every later read run harmlessly.
type slaParser struct {
	name string
	err  error
}

// inFile puts the file's name in front of a strictyaml error (or of yaml's own).
func inFile(name string, err error) error {
	var located *strictyaml.Error
	if errors.As(err, &located) {
		return located.In(name)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// keep records err when it is the first.
func (p *slaParser) keep(err error) {
	if err != nil && p.err == nil {
		p.err = inFile(p.name, err)
	}
}

func (p *slaParser) fail(n *yaml.Node, path, format string, args ...any) {
	p.keep(strictyaml.Errorf(n, path, format, args...))
}

// eachKey visits every key of a mapping node, refusing duplicates.
func (p *slaParser) eachKey(n *yaml.Node, path string, f func(k, v *yaml.Node, kpath string)) {
	if err := strictyaml.Mapping(n, path); err != nil {
		p.keep(err)
		return
	}
	var keys strictyaml.Keys
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := strictyaml.Join(path, k.Value)
		if err := keys.Add(k, k.Value, kp); err != nil {
			p.keep(err)
			return
		}
		f(k, v, kp)
	}
}

// mapping visits a mapping node whose keys must all be in fields.
func (p *slaParser) mapping(n *yaml.Node, path string, fields map[string]func(*yaml.Node, string)) {
	p.eachKey(n, path, func(k, v *yaml.Node, kp string) {
		f, ok := fields[k.Value]
		if !ok {
			known := make([]string, 0, len(fields))
			for name := range fields {
				known = append(known, name)
			}
			p.keep(strictyaml.UnknownKey(k, path, "the SLA file", known))
			return
		}
		f(v, kp)
	})
}

func (p *slaParser) scalar(n *yaml.Node, path, want string) (string, bool) {
	s, err := strictyaml.Scalar(n, path, want)
	p.keep(err)
	return s, err == nil
}

// read runs a strictyaml reader, keeping its error, and returns the value.
func read[T any](p *slaParser, reader func(*yaml.Node, string) (T, error), n *yaml.Node, path string) T {
	v, err := reader(n, path)
	p.keep(err)
	return v
}

func (p *slaParser) boolean(n *yaml.Node, path string) bool { return read(p, strictyaml.Bool, n, path) }

func (p *slaParser) nonNegative(n *yaml.Node, path string) float64 {
	return read(p, strictyaml.NonNegative, n, path)
}

func (p *slaParser) nonNegativeInt(n *yaml.Node, path string) int {
	return read(p, strictyaml.NonNegativeInt, n, path)
}

func (p *slaParser) positiveInt(n *yaml.Node, path string) int {
	return read(p, strictyaml.PositiveInt, n, path)
}

// fraction reads "1%" or 0.01 as 0.01; it must lie in [0,1].
func (p *slaParser) fraction(n *yaml.Node, path string) float64 {
	return read(p, strictyaml.Fraction, n, path)
}

func (p *slaParser) duration(n *yaml.Node, path string) time.Duration {
	return read(p, strictyaml.Duration, n, path)
}
