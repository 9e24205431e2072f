package report

// Outcome is how one promise ended.
type Outcome string

// The outcomes of a promise.
const (
	// Pass means the evidence shows the promise holds.
	Pass Outcome = "pass"
	// Fail means the evidence shows the promise is broken.
	Fail Outcome = "fail"
	// Inconclusive means the evidence could not decide (missing metric, too
	// few samples, load not delivered, partial run); it blocks like Fail.
	Inconclusive Outcome = "inconclusive"
)

// Verdict is the judgement of one promise of an SLA, as summaries, JUnit
// files and the HTML report show it.
type Verdict struct {
	// Promise is the promise's name, e.g. "TTFT p99 < 1.2s".
	Promise string
	// Outcome is pass, fail or inconclusive.
	Outcome Outcome
	// Measured is the measured value in words, e.g. "218.8ms (82% under)".
	Measured string
	// Message is the full failure or refusal message; empty on a pass.
	Message string
	// Metric, Percentile and Threshold locate a latency promise on a chart
	// (Threshold in seconds); Metric is empty for other promises.
	Metric     Metric
	Percentile float64
	Threshold  float64
	// Worst is the stretch of the run where a failed latency promise's
	// percentile was highest, with the server's state in it; nil otherwise.
	Worst *WorstInterval
}
