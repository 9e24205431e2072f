// Package report holds the results of a load run: per-stage and summary
// distributions of the latency and token metrics inference-perf defines,
// throughput, failures by label, requested versus achieved rate and the load
// generator's own self-checks. It reads and writes inference-perf report files
// and renders text and Markdown summaries.
//
// Latencies are float64 seconds everywhere; token counts are plain counts.
//
// What a metric is lives in one place, the metric registry (Metrics, in
// registry.go): for each metric its short key (ttft), its name in report
// files (time_to_first_token), the aliases SLA files accept, its display
// names and unit, whether it is a latency, a count or a rate, whether
// goodput may constrain it, whether it needs streamed responses, where the
// lifecycle files hold it and which tables and timelines show it. The
// codec, the renderers, the SLA parser and matchers (package matchers),
// goodput and the native engine's histograms (package loadgen) and scenario
// validation all read it, so a new latency metric is one registry entry
// plus the line of the runner that records it.
//
// A Distribution comes from one of two sources. Histogram (HdrHistogram,
// filled by the native engine) answers any percentile, merges, and has an
// exact Count. Stats (read from an inference-perf report file) answers only
// the percentiles the file holds; asking for another is an error naming them.
package report

import (
	"strconv"
	"time"
)

// Metric names one measured quantity, spelled as inference-perf spells its key.
type Metric string

// The metrics a stage can carry. Latency metrics are in seconds, token
// metrics in tokens.
const (
	// TTFT is the time from the request send to the first content token.
	TTFT Metric = "time_to_first_token"
	// ITL is the gap between consecutive output tokens, pooled over all requests.
	ITL Metric = "inter_token_latency"
	// TPOT is (last token - first token) / (output tokens - 1) per request.
	TPOT Metric = "time_per_output_token"
	// NTPOT is request latency / output tokens per request.
	NTPOT Metric = "normalized_time_per_output_token"
	// RequestLatency is the time from the request send to the end of the response.
	RequestLatency Metric = "request_latency"
	// ScheduleDelay is the actual send time minus the scheduled send time.
	ScheduleDelay Metric = "schedule_delay"
	// TTFTFromSchedule is TTFT measured from the scheduled send time, so a late
	// generator cannot hide queueing (no coordinated omission).
	TTFTFromSchedule Metric = "time_to_first_token_from_schedule"
	// RequestLatencyFromSchedule is request latency measured from the scheduled send time.
	RequestLatencyFromSchedule Metric = "request_latency_from_schedule"
	// PromptTokens is the prompt length in tokens per request (server usage when
	// known; the client count "prompt_len" for reports older than v0.6).
	PromptTokens Metric = "prompt_tokens"
	// OutputTokens is the output length in tokens per request (server usage when known).
	OutputTokens Metric = "output_tokens"
	// OutputLen is the client-tokenized output length per request.
	OutputLen Metric = "output_len"
	// FailedRequestLatency is the latency of failed requests (inference-perf's
	// failures.request_latency).
	FailedRequestLatency Metric = "failures.request_latency"
)

// The throughput figures of a stage, per second over the stage window.
const (
	// InputTokensPerSec is prompt tokens of successful requests per second.
	InputTokensPerSec Metric = "input_tokens_per_sec"
	// OutputTokensPerSec is output tokens of successful requests per second.
	OutputTokensPerSec Metric = "output_tokens_per_sec"
	// TotalTokensPerSec is prompt plus output tokens per second.
	TotalTokensPerSec Metric = "total_tokens_per_sec"
	// RequestsPerSec is successful requests per second.
	RequestsPerSec Metric = "requests_per_sec"
)

// LatencyMetrics lists the per-success latency metrics of inference-perf's
// successes.latency block, in display order.
func LatencyMetrics() []Metric {
	return metricsWhere(func(i MetricInfo) bool { return i.Section == SectionLatency })
}

// MetricKind reports whether a metric's histogram records seconds or tokens.
func MetricKind(m Metric) Kind {
	if m.Info().Quantity == QuantityCount {
		return KindTokens
	}
	return KindSeconds
}

// Distribution summarises the samples of one metric.
type Distribution interface {
	// Count is the number of samples behind the distribution; -1 when the source does not say.
	Count() int64
	// Mean is the arithmetic mean of the samples.
	Mean() float64
	// Min is the smallest sample.
	Min() float64
	// Max is the largest sample.
	Max() float64
	// Percentile returns the p-th percentile, p in (0,100]. When the source
	// cannot answer p, the error names the percentiles it can answer.
	Percentile(p float64) (float64, error)
	// Exact lists the percentiles the source can answer; nil means any.
	Exact() []float64
}

// Stage is the result of one load stage, or the summary over all stages.
type Stage struct {
	// ID is the 0-based stage index; -1 for the summary.
	ID int
	// Partial is true when the stage was cut short (cancellation, timeout).
	Partial bool
	// Schema names the report generation the stage was read from
	// (see the Schema* constants); empty for stages built in memory.
	Schema string

	// RequestedRate is the rate the scenario asked for, in requests per second; 0 when unknown.
	RequestedRate float64
	// AchievedRate is requests sent divided by SendDuration; 0 when unknown.
	AchievedRate float64
	// Concurrency is the concurrency level of a concurrent stage; 0 otherwise.
	Concurrency int
	// SendDuration is the time from the first to the last send; 0 when unknown.
	SendDuration time.Duration
	// Duration is inference-perf's benchmark_time_seconds (first send to last
	// completion); 0 when unknown.
	Duration time.Duration

	// Requests counts every recorded request, successful or not.
	Requests int64
	// Successes counts requests that completed without error.
	Successes int64
	// Failures counts requests that ended in an error.
	Failures int64
	// FailuresByLabel groups failures by inference-perf's label
	// (e.g. "503 - Service Unavailable", "Connection Error", "Timeout").
	FailuresByLabel map[string]FailureLabel
	// TokenCountMismatches counts streamed responses whose client token count
	// differed from the server's usage.
	TokenCountMismatches int64
	// OutputLength compares the output tokens asked for with those received;
	// nil when the source does not say (inference-perf's files).
	OutputLength *OutputLength
	// PromptTokensTotal and OutputTokensTotal sum the tokens of successful requests.
	PromptTokensTotal, OutputTokensTotal int64
	// CachedPromptTokens sums prompt tokens the server reported as cached.
	CachedPromptTokens int64

	// Distributions maps each measured metric to its distribution; an absent
	// key means the metric was not measured (e.g. TTFT without streaming).
	Distributions map[Metric]Distribution
	// Throughput holds the per-second rates over the stage window.
	Throughput Throughput
	// Goodput is set when goodput constraints were configured.
	Goodput *Goodput
	// Generator holds the native engine's self-checks; nil for other sources.
	Generator *GeneratorStats
	// Timeline holds the stage interval by interval (native engine); nil for other sources.
	Timeline *Timeline
	// Server holds the model server's own metrics over the stage; nil when none were collected.
	Server *ServerMetrics
}

// Report is the outcome of a run: the summary over all stages and each stage.
type Report struct {
	// Summary aggregates all stages (inference-perf's summary file).
	Summary Stage
	// Stages holds each stage in order.
	Stages []Stage
	// Partial is true when the run did not complete every stage.
	Partial bool
	// PartialReason says why the run is partial (e.g. "interrupted after stage 2").
	PartialReason string
	// Source describes where the report came from (a directory, "native engine", …).
	Source string
	// Shard identifies the shard of a sharded run this report measured; nil otherwise.
	Shard *Shard
	// Shards holds each shard's own delivery evidence in a merge of shards; nil otherwise.
	Shards []ShardPart
	// Experiment records the model and the scenario's fingerprint; nil when unknown.
	Experiment *Experiment
}

// Throughput holds rates over a stage window; numerators count successes only.
type Throughput struct {
	InputTokensPerSec  float64
	OutputTokensPerSec float64
	TotalTokensPerSec  float64
	RequestsPerSec     float64
}

// FailureLabel counts the failures sharing one label and keeps a few distinct messages.
type FailureLabel struct {
	Count    int64
	Messages []string
}

// OutputLength is the output-length check over the requests whose answer was
// read to its end (successes and output-length failures). A received count
// is the server's usage.completion_tokens when it sent one, else the number
// of content chunks streamed.
type OutputLength struct {
	// ExactRequired is true when the requests asked for exactly max_tokens (ignore_eos).
	ExactRequired bool
	// Answered counts the requests whose answer was read to its end.
	Answered int64
	// Requested sums max_tokens over the answered requests.
	Requested int64
	// Received sums the output tokens received by the answered requests.
	Received int64
	// Short counts answers with fewer tokens than asked for while ExactRequired.
	Short int64
	// Long counts answers with more tokens than max_tokens.
	Long int64
	// Empty counts answers that carried no output token although max_tokens > 0.
	Empty int64
	// Unverified counts answers that gave no token count to check (a
	// non-streamed answer without usage).
	Unverified int64
}

// Goodput is inference-perf's goodput: the share of successful requests that
// met every configured per-request constraint.
type Goodput struct {
	// Percentage is good requests / successful requests × 100.
	Percentage float64
	// RequestGoodput is good requests per second over the successes' window.
	RequestGoodput float64
	// TokenGoodput is input+output tokens of good requests per second.
	TokenGoodput float64
	// GoodRequests counts requests that met every constraint.
	GoodRequests int64
	// TotalRequests counts the successful requests judged.
	TotalRequests int64
	// Attainment maps a metric to the percentage of requests that met its constraint.
	Attainment map[Metric]float64
	// Constraints holds the per-request limits in seconds, when known.
	Constraints map[Metric]float64
}

// GeneratorStats are the native engine's self-checks: did it send what the
// schedule asked for, when it asked.
type GeneratorStats struct {
	// Engine names the generator (e.g. "tailgate-native").
	Engine string
	// Scheduled counts the sends the schedule planned for the stage.
	Scheduled int64
	// Sent counts the sends actually made.
	Sent int64
	// Workers is the number of sending workers.
	Workers int
	// InFlightLimit is the cap on concurrent requests; 0 means none.
	InFlightLimit int
	// InFlightLimitHits counts sends that had to wait because the cap was reached.
	InFlightLimitHits int64
	// MaxInFlight is the largest number of concurrent requests observed.
	MaxInFlight int64
}

// Report schema generations ReadDir recognises.
const (
	// SchemaV04 is inference-perf up to v0.4: successes.prompt_len, no benchmark_time_seconds.
	SchemaV04 = "<=v0.4"
	// SchemaV05 adds benchmark_time_seconds and token_count_mismatches.
	SchemaV05 = "v0.5"
	// SchemaV06 adds successes.prompt_tokens and output_tokens.
	SchemaV06 = "v0.6"
	// SchemaV061 adds failures.by_label.
	SchemaV061 = "v0.6.1"
	// SchemaCurrent drops prompt_len.
	SchemaCurrent = "current"
)

// Distribution returns the distribution of m and whether it was measured.
func (s Stage) Distribution(m Metric) (Distribution, bool) {
	d, ok := s.Distributions[m]
	if !ok || d == nil {
		return nil, false
	}
	return d, true
}

// ErrorRate returns failures / requests, or 0 when there were no requests.
func (s Stage) ErrorRate() float64 {
	total := s.Requests
	if total == 0 {
		total = s.Successes + s.Failures
	}
	if total == 0 {
		return 0
	}
	return float64(s.Failures) / float64(total)
}

// Name returns "summary" for the summary and "stage N" otherwise.
func (s Stage) Name() string {
	if s.ID < 0 {
		return "summary"
	}
	return "stage " + strconv.Itoa(s.ID)
}
