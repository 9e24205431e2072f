// Package study measures the release gate as an instrument: with the
// simulated vLLM in virtual time it repeats runs of the production scenario
// against an unchanged server and against servers with injected regressions,
// judges each pair with every gate method, and reports how often each method
// fails an unchanged server (false fails) and catches a regression (power),
// each rate with its Wilson 95% interval.
package study

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/report"
)

// Production returns the production scenario's workload (Poisson arrivals at
// 15 req/s, Gaussian prompt and output lengths, 8 workers) for the given
// duration, its arrivals and lengths drawn from seed.
func Production(d time.Duration, seed uint64) mockvllm.Workload {
	return mockvllm.Workload{
		Stages:         []mockvllm.WorkloadStage{{Rate: 15, Duration: d}},
		PromptTokens:   gaussian(1024, 512, 128, 4096),
		OutputTokensFn: gaussian(512, 256, 50, 2048),
		Poisson:        true,
		MaxConcurrency: 8 * 256,
		Seed:           seed,
	}
}

func gaussian(mean, sd float64, lo, hi int) func(*rand.Rand) int {
	return func(r *rand.Rand) int {
		v := int(math.Round(r.NormFloat64()*sd + mean))
		return min(max(v, lo), hi)
	}
}

// Run simulates the workload against the profile and returns the run as a
// report with HdrHistogram distributions of TTFT, ITL and request latency.
func Run(p mockvllm.Profile, w mockvllm.Workload) (*report.Report, error) {
	stages, err := mockvllm.Simulate(p, w)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	return ReportOf(stages, w), nil
}

// ReportOf turns a simulated run into the report a client would have written:
// per stage and pooled, TTFT, ITL and request latency histograms, request counts and rates. A
// virtual-time client sends on schedule, so schedule delay is zero.
func ReportOf(stages []mockvllm.SimStage, w mockvllm.Workload) *report.Report {
	r := &report.Report{Source: "simulated run"}
	var total report.Stage
	total.ID = -1
	total.Distributions = map[report.Metric]report.Distribution{}
	for i, s := range stages {
		st := stageOf(i, s, w.Stages[i].Duration)
		r.Stages = append(r.Stages, st)
		total.Requests += st.Requests
		total.Successes += st.Successes
		total.Throughput.RequestsPerSec += st.Throughput.RequestsPerSec
		for m, d := range st.Distributions {
			h, ok := total.Distributions[m].(*report.Histogram)
			if !ok {
				h = report.NewHistogram()
				total.Distributions[m] = h
			}
			h.Merge(d.(*report.Histogram))
		}
	}
	if len(stages) == 1 {
		total.RequestedRate, total.AchievedRate = r.Stages[0].RequestedRate, r.Stages[0].AchievedRate
	}
	r.Summary = total
	return r
}

func stageOf(i int, s mockvllm.SimStage, d time.Duration) report.Stage {
	st := report.Stage{ID: i, RequestedRate: s.RequestedRate, AchievedRate: s.AchievedRate,
		Requests: int64(s.Requests), Successes: int64(s.Requests), SendDuration: d,
		Distributions: map[report.Metric]report.Distribution{}}
	st.Throughput.RequestsPerSec = float64(s.Requests) / d.Seconds()
	st.Distributions[report.TTFT] = histogramOf(s.TTFTSamples())
	st.Distributions[report.ITL] = histogramOf(s.GapSamples())
	st.Distributions[report.RequestLatency] = histogramOf(s.LatencySamples())
	st.Distributions[report.ScheduleDelay] = histogramOf(make([]float64, s.Requests))
	st.Timeline = wholeStage(st, d)
	return st
}

// wholeStage is a timeline of one interval spanning the stage, so that the
// report's directory keeps its histograms (.hlog files) for a later comparison.
func wholeStage(st report.Stage, d time.Duration) *report.Timeline {
	iv := report.Interval{Length: d, Sent: st.Requests, Completed: st.Requests}
	for m, dist := range st.Distributions {
		if err := iv.SetHistogram(m, dist.(*report.Histogram)); err != nil {
			return nil // encoding a fresh histogram cannot fail; without a timeline the report keeps its distributions
		}
	}
	return &report.Timeline{Start: time.Unix(1_700_000_000, 0), Interval: d, Intervals: []report.Interval{iv}}
}

func histogramOf(samples []float64) *report.Histogram {
	h := report.NewHistogram()
	for _, v := range samples {
		h.Record(v)
	}
	return h
}
