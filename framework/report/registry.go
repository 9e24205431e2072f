package report

import (
	"slices"
	"strings"
)

// Quantity says what sort of figure a metric is.
type Quantity int

const (
	// QuantityLatency is a duration per request (or per token gap), in seconds.
	QuantityLatency Quantity = iota
	// QuantityCount is a number of tokens per request.
	QuantityCount
	// QuantityRate is a figure per second over a stage window (throughput).
	QuantityRate
)

// String names the quantity as the registry's documentation does.
func (q Quantity) String() string {
	switch q {
	case QuantityCount:
		return "count"
	case QuantityRate:
		return "rate"
	}
	return "latency"
}

// Where a metric's STATS block sits in a lifecycle report file, for the
// metrics the codec reads and writes from the registry alone.
const (
	// SectionLatency is inference-perf's successes.latency block.
	SectionLatency = "successes.latency"
	// SectionFromSchedule is tailgate's own tailgate.latency_from_schedule block.
	SectionFromSchedule = "tailgate.latency_from_schedule"
	// SectionThroughput is inference-perf's successes.throughput block (rates).
	SectionThroughput = "successes.throughput"
	// SectionLoad is inference-perf's load_summary block.
	SectionLoad = "load_summary"
	// SectionFailures is inference-perf's failures block.
	SectionFailures = "failures"
)

// MetricInfo is one entry of the metric registry: everything the codec,
// the SLA parser, goodput, scenario validation, the matchers and the
// renderers need to know about a metric.
type MetricInfo struct {
	// Metric is the metric's name in report files (inference-perf's key) and its identity.
	Metric Metric
	// Key is the short name SLA files, goodput constraints and attainment figures use ("ttft").
	Key string
	// Aliases are further names an SLA file (and a report file's goodput block) may use.
	Aliases []string
	// Name is the display name in promise names and messages ("TTFT", "request latency").
	Name string
	// Column is the header of the metric's column in tables ("latency").
	Column string
	// Title is the long name in chart titles ("Time to first token").
	Title string
	// Unit is the unit of a value: "s", "tokens", "requests/s" or "tokens/s".
	Unit string
	// Quantity says whether it is a latency, a token count or a rate.
	Quantity Quantity
	// Goodput is true when report.goodput.constraints may constrain it.
	Goodput bool
	// Streaming is true when it is measured only on streamed responses.
	Streaming bool
	// SLA is true when an SLA file's latency block may bound its percentiles.
	SLA bool
	// FailuresInTail is true for a latency of successful requests: a failed
	// request has no value of its own, so a percentile promise counts it as a
	// sample beyond the threshold.
	FailuresInTail bool
	// FromSchedule is true when it is measured from the scheduled send time,
	// which only the native engine knows.
	FromSchedule bool
	// Native is true when the native engine records it for every request
	// (and keeps it per timeline interval).
	Native bool
	// Section is the block of a lifecycle report file the codec reads it
	// from and writes it to (see the Section* constants); empty for the
	// token counts, which the codec places by hand beside their totals.
	Section string
	// Table is true when the text, Markdown and HTML tables show it.
	Table bool
	// OverTime is true when summaries follow it over time (P50 and P99 per interval).
	OverTime bool

	throughput func(*Throughput) *float64 // the Throughput field of a rate
}

// FileKey is the metric's key inside its Section of a lifecycle report file:
// its name, less the section prefix it may carry ("failures.request_latency"
// is request_latency in the failures block).
func (i MetricInfo) FileKey() string {
	return strings.TrimPrefix(string(i.Metric), i.Section+".")
}

// Names lists every name an SLA file may give the metric: the key, the
// report-file name and the aliases.
func (i MetricInfo) Names() []string {
	return append([]string{i.Key, string(i.Metric)}, i.Aliases...)
}

// Rate returns the value of a rate metric in tp; ok is false for other metrics.
func (i MetricInfo) Rate(tp Throughput) (v float64, ok bool) {
	if i.throughput == nil {
		return 0, false
	}
	return *i.throughput(&tp), true
}

// setRate stores v as the rate metric's figure in tp; other metrics are ignored.
func (i MetricInfo) setRate(tp *Throughput, v float64) {
	if i.throughput != nil {
		*i.throughput(tp) = v
	}
}

// metricTable is the metric registry in display order: the latencies, the
// token counts, then the rates. It is never written: every function of this
// file hands out copies. Adding a metric is one entry in one of the three
// lists below plus the line of the runner that records it.
var metricTable = slices.Concat(latencyMetrics(), countMetrics(), rateMetrics())

// Metrics returns the metric registry in display order: the latencies, the
// token counts, then the rates.
func Metrics() []MetricInfo { return MetricsWhere(func(MetricInfo) bool { return true }) }

// clone returns a copy of the entry that shares nothing with the table.
func (i MetricInfo) clone() MetricInfo {
	i.Aliases = slices.Clone(i.Aliases)
	return i
}

// named reports whether name is one of the metric's names (see Names).
func (i MetricInfo) named(name string) bool {
	return name == i.Key || name == string(i.Metric) || slices.Contains(i.Aliases, name)
}

func latencyMetrics() []MetricInfo {
	const s = "s"
	return []MetricInfo{{
		Metric: TTFT, Key: "ttft", Name: "TTFT", Column: "TTFT", Title: "Time to first token", Unit: s,
		Section: SectionLatency, SLA: true, FailuresInTail: true, Goodput: true, Streaming: true,
		Native: true, Table: true, OverTime: true,
	}, {
		Metric: ITL, Key: "itl", Name: "ITL", Column: "ITL", Title: "Inter-token latency", Unit: s,
		Section: SectionLatency, SLA: true, FailuresInTail: true, Goodput: true, Streaming: true,
		Native: true, Table: true, OverTime: true,
	}, {
		Metric: TPOT, Key: "tpot", Name: "TPOT", Column: "TPOT", Title: "Time per output token", Unit: s,
		Section: SectionLatency, SLA: true, FailuresInTail: true, Goodput: true, Streaming: true,
		Native: true, Table: true,
	}, {
		Metric: NTPOT, Key: "ntpot", Name: "NTPOT", Column: "NTPOT", Title: "Normalized time per output token", Unit: s,
		Section: SectionLatency, SLA: true, FailuresInTail: true, Goodput: true,
		Native: true, Table: true,
	}, {
		Metric: RequestLatency, Key: "request_latency", Aliases: []string{"e2e", "e2e_latency", "latency"},
		Name: "request latency", Column: "latency", Title: "Request latency", Unit: s,
		Section: SectionLatency, SLA: true, FailuresInTail: true, Goodput: true,
		Native: true, Table: true, OverTime: true,
	}, {
		Metric: ScheduleDelay, Key: "schedule_delay", Name: "schedule delay", Column: "schedule delay", Title: "Schedule delay", Unit: s,
		Section: SectionLoad, SLA: true,
		Native: true, Table: true,
	}, {
		Metric: TTFTFromSchedule, Key: "ttft_from_schedule",
		Name: "TTFT from schedule", Column: "TTFT from schedule", Title: "TTFT from the scheduled send", Unit: s,
		Section: SectionFromSchedule, SLA: true, FailuresInTail: true, Streaming: true, FromSchedule: true,
		Native: true, Table: true,
	}, {
		Metric: RequestLatencyFromSchedule, Key: "request_latency_from_schedule",
		Name: "request latency from schedule", Column: "latency from schedule", Title: "Request latency from the scheduled send", Unit: s,
		Section: SectionFromSchedule, SLA: true, FailuresInTail: true, FromSchedule: true,
		Native: true, Table: true,
	}, {
		Metric: FailedRequestLatency, Key: "failed_request_latency",
		Name: "failed request latency", Column: "failed latency", Title: "Latency of failed requests", Unit: s,
		Section: SectionFailures, Native: true,
	}}
}

func countMetrics() []MetricInfo {
	const tok = "tokens"
	return []MetricInfo{
		{Metric: PromptTokens, Key: "prompt_tokens", Name: "prompt tokens", Column: "prompt tokens", Title: "Prompt tokens",
			Unit: tok, Quantity: QuantityCount, Native: true, Table: true},
		{Metric: OutputTokens, Key: "output_tokens", Name: "output tokens", Column: "output tokens", Title: "Output tokens",
			Unit: tok, Quantity: QuantityCount, Native: true, Table: true},
		{Metric: OutputLen, Key: "output_len", Name: "output length", Column: "output length", Title: "Client-tokenized output length",
			Unit: tok, Quantity: QuantityCount},
	}
}

// rateMetrics are the throughput figures, in the order of inference-perf's throughput block.
func rateMetrics() []MetricInfo {
	return []MetricInfo{
		rateMetric(InputTokensPerSec, "input tokens per second", "tokens/s", func(t *Throughput) *float64 { return &t.InputTokensPerSec }),
		rateMetric(OutputTokensPerSec, "output tokens per second", "tokens/s", func(t *Throughput) *float64 { return &t.OutputTokensPerSec }),
		rateMetric(TotalTokensPerSec, "total tokens per second", "tokens/s", func(t *Throughput) *float64 { return &t.TotalTokensPerSec }),
		rateMetric(RequestsPerSec, "requests per second", "requests/s", func(t *Throughput) *float64 { return &t.RequestsPerSec }),
	}
}

func rateMetric(m Metric, name, unit string, field func(*Throughput) *float64) MetricInfo {
	return MetricInfo{Metric: m, Key: string(m), Name: name, Column: name, Title: name, Unit: unit,
		Quantity: QuantityRate, Section: SectionThroughput, throughput: field}
}

// Info returns m's registry entry. An unregistered metric gets an entry
// naming it by its own spelling, as a latency without any other property.
func (m Metric) Info() MetricInfo {
	for k := range metricTable {
		if metricTable[k].Metric == m {
			return metricTable[k].clone()
		}
	}
	return MetricInfo{Metric: m, Key: string(m), Name: string(m), Column: string(m), Title: string(m), Unit: "s"}
}

// LookupMetric finds a metric by any of its names: the key ("ttft"), the
// report-file name ("time_to_first_token") or an alias ("e2e").
func LookupMetric(name string) (MetricInfo, bool) {
	for _, i := range metricTable {
		if i.named(name) {
			return i.clone(), true
		}
	}
	return MetricInfo{}, false
}

// MetricsWhere returns the registry entries for which keep is true, in display order.
func MetricsWhere(keep func(MetricInfo) bool) []MetricInfo {
	var out []MetricInfo
	for _, i := range metricTable {
		if keep(i) {
			out = append(out, i.clone())
		}
	}
	return out
}

// metricsWhere is MetricsWhere as the metrics alone.
func metricsWhere(keep func(MetricInfo) bool) []Metric {
	var out []Metric
	for _, i := range MetricsWhere(keep) {
		out = append(out, i.Metric)
	}
	return out
}

// MetricKeys returns the keys of the registry entries for which keep is true, in display order.
func MetricKeys(keep func(MetricInfo) bool) []string {
	var out []string
	for _, i := range MetricsWhere(keep) {
		out = append(out, i.Key)
	}
	return out
}

// GoodputKeys lists the keys report.goodput.constraints accepts, in display order.
func GoodputKeys() []string { return MetricKeys(func(i MetricInfo) bool { return i.Goodput }) }

// GoodputMetric returns the metric a report.goodput.constraints key names,
// spelled as inference-perf's configuration spells it (one of GoodputKeys);
// ok is false for any other key.
func GoodputMetric(key string) (Metric, bool) {
	for _, i := range metricTable {
		if i.Goodput && i.Key == key {
			return i.Metric, true
		}
	}
	return "", false
}
