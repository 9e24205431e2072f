// Package matchers holds Gomega matchers that gate a load report on its
// tail latency, errors, throughput, goodput and on whether the load generator
// delivered the load it was asked for.
//
// Every matcher accepts a *report.Report (or report.Report) or a
// report.Stage (or *report.Stage). On a Report, metric matchers judge the
// Summary (all stages pooled), and the delivered-load precondition is checked
// on every stage (on the summary when there are none): one stage the
// generator could not keep up with taints the pooled numbers.
//
// InEveryStage(m) judges every stage instead of the summary.
//
// A matcher never passes on missing evidence. Match returns an error (which
// fails both To and NotTo) when the metric is missing, when there are too few
// samples for the percentile asked (see MinTailSamples), or when the report
// shows that the generator did not deliver the requested load (see
// LoadBounds). Every such refusal wraps ErrInconclusive, so callers can tell
// "could not judge" from "a promise broke" (Match returning false).
//
// Failed requests are samples beyond any latency threshold: latency
// percentiles are judged over successes and failures together (see
// HavePercentileBelow), so failures cannot vanish from the tail.
//
// Sample counts: for report-file data a metric's count is the number of
// successful requests; for HdrHistogram data it is the number of samples
// recorded, which for pooled ITL is the number of token gaps.
//
// LoadSLA and ParseSLA read an SLA file strictly, with the YAML checks the
// scenario parser shares (internal/strictyaml): the first problem is an error
// naming the file, line and key path and saying what to write instead.
//
// Regression promises (HaveNoRegressionFrom) judge the ratio of a percentile
// of two runs with a distribution-free interval that counts correlation in
// time. Each run's percentile gets its order-statistic interval (the count
// of samples below the true quantile is binomial if samples are independent:
// exact for any distribution, read from the HdrHistogram's ranks). They are
// not independent: queueing and a server's slow spells bring slow requests
// in bunches, so the count above the percentile varies more than a binomial.
// The interval histograms of the run's timeline measure by how much: split
// into blocks of BlockLength (well beyond the correlation time), the
// variance of each block's count above the run's percentile over its
// binomial variance (batch means) is the dispersion, and the rank interval
// is widened by its square root (with Student's t for the blocks' degrees of
// freedom). This is what a block bootstrap over the interval histograms
// estimates, in closed form: it costs microseconds per judgement, so the
// verdict study can judge hundreds of thousands of run pairs, and it never
// drops below the exact interval for independent samples, where a bootstrap
// of a P99 resamples the few samples above it and undercovers. The two
// runs' intervals combine into one for the ratio by MOVER on the log scale;
// when both runs recorded one seeded workload (a paired comparison: the same
// arrivals, prompts and output lengths), the correlation of their blocks'
// counts enters MOVER too, so shared workload bursts cancel. A run without a
// timeline keeps the independent-samples interval. The README's verdict
// study measures the resulting false-fail rate and power.
package matchers

import (
	"fmt"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// subject is what a matcher judges: one stage (the summary or a stage) plus
// every stage whose delivery must be verified first.
type subject struct {
	stage         report.Stage
	check         []report.Stage
	partial       bool
	partialReason string
	// summaryOnly is set when a report has no stages, so its summary stands in
	// for them and must show its requested and achieved rates too.
	summaryOnly bool
	// shard and shards carry a shard's identity, or every shard's own
	// delivery evidence in a merge of shards (see LoadBounds.shardViolations).
	shard  *report.Shard
	shards []report.ShardPart
}

func subjectOf(actual any) (subject, error) {
	switch a := actual.(type) {
	case *report.Report:
		if a == nil {
			return subject{}, refuse("no report (nil *report.Report)")
		}
		return reportSubject(*a), nil
	case report.Report:
		return reportSubject(a), nil
	case report.Stage:
		return stageSubject(a), nil
	case *report.Stage:
		if a == nil {
			return subject{}, refuse("no stage (nil *report.Stage)")
		}
		return stageSubject(*a), nil
	}
	return subject{}, fmt.Errorf("want a *report.Report or a report.Stage, got %T", actual)
}

// stageSubject judges one stage. A report's summary given on its own (ID < 0) stands
// for stages that cannot be seen from it, so it must show its own requested and
// achieved rates, as a report without stages must; pass the *report.Report instead
// to have each stage's delivery checked.
func stageSubject(st report.Stage) subject {
	return subject{stage: st, check: []report.Stage{st}, summaryOnly: st.ID < 0}
}

func reportSubject(r report.Report) subject {
	s := r.Summary
	s.ID = -1
	// Each stage is checked on its own (the summary pools them, and a closed-loop
	// stage's in-flight limit hits are by design); the summary only when there are no stages.
	check := r.Stages
	if len(check) == 0 {
		check = []report.Stage{s}
	}
	return subject{stage: s, check: check, partial: r.Partial, partialReason: r.PartialReason, summaryOnly: len(r.Stages) == 0,
		shard: r.Shard, shards: r.Shards}
}
