package matchers

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// ServerPromise bounds one of the server's own figures from above (inclusive):
// the SLA's server block, e.g. server: {preemptions: {max: 0}}.
type ServerPromise struct {
	// Key is the SLA key (preemptions, kv_cache_usage, waiting, queue_time, …).
	Key string
	// Stat is the statistic bounded: max, mean, median, p90 or p99.
	Stat string
	// Max is the bound, in the figure's unit (seconds, a fraction, a count).
	Max  float64
	Line int
}

// serverKey describes one key of the SLA's server block.
type serverKey struct {
	figure string   // report.Server* figure name
	label  string   // name in promise names and messages
	unit   string   // "s", "fraction" or "count"
	stats  []string // statistics the key accepts
}

var latencyStats = []string{"mean", "median", "p50", "p90", "p99"}

var serverKeys = map[string]serverKey{
	"preemptions":     {report.ServerPreemptions, "preemptions", "count", []string{"max"}},
	"kv_cache_usage":  {report.ServerKVCacheUsage, "KV-cache usage", "fraction", []string{"max", "mean"}},
	"waiting":         {report.ServerWaiting, "waiting requests", "count", []string{"max", "mean"}},
	"running":         {report.ServerRunning, "running requests", "count", []string{"max", "mean"}},
	"queue_time":      {report.ServerQueueTime, "queue time", "s", latencyStats},
	"ttft":            {report.ServerTTFT, "TTFT", "s", latencyStats},
	"itl":             {report.ServerITL, "ITL", "s", latencyStats},
	"tpot":            {report.ServerTPOT, "TPOT", "s", latencyStats},
	"request_latency": {report.ServerE2E, "request latency", "s", latencyStats},
}

// server parses the SLA's server block.
func (p *slaParser) server(n *yaml.Node, path string) []ServerPromise {
	var out []ServerPromise
	p.eachKey(n, path, func(k, v *yaml.Node, kpath string) {
		key, ok := serverKeys[k.Value]
		if !ok {
			p.fail(k, kpath, "unknown server figure %q; known: %s", k.Value, sortedKeys(serverKeys))
			return
		}
		p.eachKey(v, kpath, func(sk, sv *yaml.Node, spath string) {
			if !contains(key.stats, sk.Value) {
				p.fail(sk, spath, "server %s has no %q; bound one of: %s", k.Value, sk.Value, strings.Join(key.stats, ", "))
				return
			}
			out = append(out, ServerPromise{Key: k.Value, Stat: sk.Value, Max: p.serverBound(sv, spath, key.unit), Line: sk.Line})
		})
	})
	return out
}

// sortedKeys lists the keys of m in order, comma-separated.
func sortedKeys[V any](m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *slaParser) serverBound(n *yaml.Node, path, unit string) float64 {
	switch unit {
	case "s":
		return p.duration(n, path).Seconds()
	case "fraction":
		return p.fraction(n, path)
	}
	return p.nonNegative(n, path)
}

// name is the promise's stable name, e.g. "server queue time p99 <= 500ms".
func (sp ServerPromise) name() string {
	key := serverKeys[sp.Key]
	return fmt.Sprintf("server %s <= %s", figureLabel(key, sp.Stat), formatServer(sp.Max, key.unit))
}

// figureLabel names a statistic of a figure ("queue time p99"); a count over
// the window (preemptions) has no statistic to name.
func figureLabel(k serverKey, stat string) string {
	if k.figure == report.ServerPreemptions {
		return k.label
	}
	return k.label + " " + stat
}

func formatServer(v float64, unit string) string {
	switch unit {
	case "s":
		return time.Duration(v * float64(time.Second)).String()
	case "fraction":
		return percent(v)
	}
	return fmt.Sprintf("%g", v)
}

// HaveServerFigureAtMost succeeds when the server's own figure named by
// key (an SLA server key such as "preemptions" or "queue_time") has the
// statistic stat at most max. It refuses (ErrInconclusive) when the run
// collected no server metrics or the figure is missing.
func HaveServerFigureAtMost(key, stat string, max float64) *ScalarMatcher {
	sp := ServerPromise{Key: key, Stat: stat, Max: max}
	k, known := serverKeys[key]
	want := sp.name()
	return &ScalarMatcher{
		bounds:  DefaultLoadBounds(),
		want:    strings.TrimPrefix(want, "server "),
		notWant: fmt.Sprintf("%s > %s", figureLabel(k, stat), formatServer(max, k.unit)),
		measure: func(s subject) (bool, string, error) {
			if !known {
				return false, "", fmt.Errorf("unknown server figure %q", key)
			}
			m := s.stage.Server
			if m == nil {
				return false, "", fmt.Errorf("no server metrics were collected (TAILGATE_SERVER_METRICS=off, /metrics did not serve vLLM's families, or the report has no prometheus files)")
			}
			st := stat
			if st == "p50" {
				st = "median"
			}
			if k.figure == report.ServerPreemptions {
				st = "total"
			}
			v, ok := m.Get(k.figure, st)
			if !ok {
				return false, "", fmt.Errorf("the server metrics (%s) have no %s%s", m.Source, figureLabel(k, stat), noteOf(m))
			}
			return v <= max, fmt.Sprintf("server %s = %s%s", figureLabel(k, stat), formatServer(v, k.unit), serverState(m)), nil
		},
	}
}

// serverState summarises the server's state over the window for messages.
func serverState(m *report.ServerMetrics) string {
	var parts []string
	if v, ok := m.Get(report.ServerWaiting, "max"); ok {
		parts = append(parts, fmt.Sprintf("up to %g waiting", v))
	}
	if v, ok := m.Get(report.ServerKVCacheUsage, "max"); ok {
		parts = append(parts, "KV cache up to "+percent(v))
	}
	if v, ok := m.Get(report.ServerPreemptions, "total"); ok {
		parts = append(parts, fmt.Sprintf("%g preemptions", v))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// serverPromises turns the SLA's server block into promises.
func (s SLA) serverPromises(load LoadBounds) []Promise {
	var out []Promise
	for _, sp := range s.Server {
		out = append(out, Promise{Name: sp.name(), Line: sp.Line,
			Matcher: HaveServerFigureAtMost(sp.Key, sp.Stat, sp.Max).WithLoadBounds(load)})
	}
	return out
}

func noteOf(m *report.ServerMetrics) string {
	if m.Note == "" {
		return ""
	}
	return " (" + m.Note + ")"
}

// serverWhy is the server's side of a latency failure: its state over the
// judged stage, the server's own worst interval and, when first tokens lose
// time before the engine, the client/server TTFT cross-check; empty without
// server metrics, and for inference-perf's own prometheus files, which hold
// means without peaks.
func serverWhy(st report.Stage) string { return serverContext(st, true) }

// serverContext is serverWhy, with the server's own worst interval only
// when withWorst is set (a client-side worst interval already names one).
func serverContext(st report.Stage, withWorst bool) string {
	if st.Server == nil || st.Server.Source == report.ServerFromInferencePerf {
		return ""
	}
	out := ""
	if state := st.ServerState(); state != "" {
		out = "; " + state
	}
	if w := st.ServerWorst(); w != "" && withWorst {
		out += "; " + w
	}
	if c := st.TTFTCrossCheck(); c != "" {
		out += "; " + c
	}
	return out
}
