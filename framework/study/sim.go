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
	r.Experiment = experimentOf(w)
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
	st.Timeline = timelineOf(s, d, true)
	return st
}

// TimelineInterval is the interval of a simulated run's timeline: the
// regression judge groups intervals into blocks of matchers.BlockLength.
const TimelineInterval = 5 * time.Second

// timelineOf is the stage's timeline at TimelineInterval: each request's
// TTFT and latency in the interval it ended in, as the native engine records
// them, so the report keeps its histograms (.hlog files) for a comparison.
// ITL, whose gaps the simulator pools without their times, is kept whole in
// the last interval (so no block correlation can be measured for it).
func timelineOf(s mockvllm.SimStage, d time.Duration, withLatency bool) *report.Timeline {
	ts := s.Timings()
	start := time.Duration(0)
	if len(ts) > 0 {
		start = ts[0].Start
	}
	n := int(d/TimelineInterval) + 1
	for _, t := range ts {
		n = max(n, int((t.Start-start+seconds(t.Latency))/TimelineInterval)+1)
	}
	ttft, lat := make([]*report.Histogram, n), make([]*report.Histogram, n)
	tl := &report.Timeline{Start: time.Unix(1_700_000_000, 0), Interval: TimelineInterval, Intervals: make([]report.Interval, n)}
	for i := range n {
		ttft[i], lat[i] = report.NewHistogram(), report.NewHistogram()
		tl.Intervals[i] = report.Interval{Start: time.Duration(i) * TimelineInterval, Length: TimelineInterval}
	}
	for _, t := range ts {
		i := int((t.Start - start + seconds(t.Latency)) / TimelineInterval)
		ttft[i].Record(t.TTFT)
		lat[i].Record(t.Latency)
		tl.Intervals[i].Completed++
		tl.Intervals[int((t.Start-start)/TimelineInterval)].Sent++
	}
	itl := make([]*report.Histogram, n)
	for i := range itl {
		itl[i] = report.NewHistogram()
	}
	itl[n-1] = histogramOf(s.GapSamples())
	for i := range tl.Intervals {
		iv := &tl.Intervals[i]
		if iv.SetHistogram(report.TTFT, ttft[i]) != nil ||
			withLatency && (iv.SetHistogram(report.RequestLatency, lat[i]) != nil || iv.SetHistogram(report.ITL, itl[i]) != nil) {
			return nil // encoding a fresh histogram cannot fail; without a timeline the report keeps its distributions
		}
	}
	return tl
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func histogramOf(samples []float64) *report.Histogram {
	h := report.NewHistogram()
	for _, v := range samples {
		h.Record(v)
	}
	return h
}

// experimentOf is the fingerprint of a simulated production run: the
// scenario, its load and its workload seed (runs with one seed are paired).
func experimentOf(w mockvllm.Workload) *report.Experiment {
	e := &report.Experiment{Model: "qwen3-8b", Scenario: "production", Streaming: "true", IgnoreEOS: "true",
		PromptLengths: "normal mean 1024 sd 512 in [128, 4096]", OutputLengths: "normal mean 512 sd 256 in [50, 2048]",
		Seed: fmt.Sprint(w.Seed)}
	for _, st := range w.Stages {
		e.Stages = append(e.Stages, fmt.Sprintf("poisson %g req/s for %s", st.Rate, st.Duration))
	}
	return e
}
