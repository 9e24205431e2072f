package study

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

// Injection is a regression injected in the simulated server.
type Injection struct {
	// Name says what changed, e.g. "front end +30 ms".
	Name string
	// Apply returns the changed profile.
	Apply func(mockvllm.Profile) mockvllm.Profile
}

// Injections are the study's regressions: a longer front end, slower engine
// steps, fewer sequences per batch and a smaller KV cache, at strengths
// around +5%, +10% and +20% of the production scenario's P99 TTFT.
func Injections() []Injection {
	frontEnd := func(ms int) Injection {
		return Injection{fmt.Sprintf("front end +%d ms", ms), func(p mockvllm.Profile) mockvllm.Profile {
			p.FrontendDelay += time.Duration(ms) * time.Millisecond
			return p
		}}
	}
	steps := func(pct int) Injection {
		return Injection{fmt.Sprintf("engine steps +%d%%", pct), func(p mockvllm.Profile) mockvllm.Profile {
			f := func(d time.Duration) time.Duration { return d * time.Duration(100+pct) / 100 }
			p.StepBase, p.PerDecodeSeq, p.PerPrefillToken, p.PerContextToken = f(p.StepBase), f(p.PerDecodeSeq), f(p.PerPrefillToken), f(p.PerContextToken)
			return p
		}}
	}
	return []Injection{
		frontEnd(15), frontEnd(30), frontEnd(60),
		steps(10), steps(25),
		{"max-num-seqs 1024→256", func(p mockvllm.Profile) mockvllm.Profile { p.MaxNumSeqs = 256; return p }},
		{"KV blocks 46000→32000", func(p mockvllm.Profile) mockvllm.Profile { p.NumGPUBlocks = 32000; return p }},
	}
}

// Config sets what the study measures.
type Config struct {
	// Durations are the run lengths of the production scenario.
	Durations []time.Duration
	// Reps is the number of run pairs per cell.
	Reps int
	// Tolerance is the regression promises' tolerance on P99 TTFT.
	Tolerance float64
	// Threshold is the absolute SLA bound on P99 TTFT.
	Threshold time.Duration
	// Workers is how many simulations run at once (GOMAXPROCS when 0).
	Workers int
	// Servers names the injections to measure besides the unchanged server;
	// empty measures all of Injections.
	Servers []string
}

// injections are the configured servers' injections, or an error naming an unknown one.
func (c Config) injections() ([]Injection, error) {
	all := Injections()
	if len(c.Servers) == 0 {
		return all, nil
	}
	var out []Injection
	for _, name := range c.Servers {
		i := slices.IndexFunc(all, func(in Injection) bool { return in.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("study: no injection %q (known: %s)", name, strings.Join(names(all), ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// outcome is what one repetition measured: for each design (0 unpaired,
// 1 paired), server (0 unchanged, then each injection) and method, whether
// the method failed the candidate; and each server's P99 TTFT.
type outcome struct {
	fails [2][][]bool
	p99   []float64
	// logRatio is log(candidate / baseline) of each tailStats statistic on
	// the unchanged server, per design.
	logRatio [numTailStats][2]float64
}

// repetition simulates repetition i of every server at duration d and judges
// it. The baseline U and every candidate share workload seed i+1 (paired); V
// runs another workload for the unpaired design; each run's noise has its own seed.
func repetition(d time.Duration, i int, inj []Injection, methods []Method) (outcome, error) {
	base := mockvllm.Qwen3_8B_H100()
	run := func(p mockvllm.Profile, workload uint64, noise uint64) (*report.Report, error) {
		w := Production(d, workload)
		w.NoiseSeed = uint64(i+1)<<16 | noise
		w.SkipGaps = true // the study judges TTFT only
		stages, err := mockvllm.Simulate(p, w)
		if err != nil {
			return nil, fmt.Errorf("study: %s, repetition %d: %w", d, i, err)
		}
		return ttftReport(stages, w), nil
	}
	seed := uint64(i + 1)
	u, err := run(base, seed, 1)
	if err != nil {
		return outcome{}, err
	}
	v, err := run(base, seed+1<<32, 2)
	if err != nil {
		return outcome{}, err
	}
	var o outcome
	cache := &matchers.TailCache{}
	for k := -1; k < len(inj); k++ {
		p, noise := base, uint64(3)
		if k >= 0 {
			p, noise = inj[k].Apply(base), uint64(4+k)
		}
		c, err := run(p, seed, noise)
		if err != nil {
			return outcome{}, err
		}
		if k < 0 {
			o.p99 = append(o.p99, p99(u))
			for si, f := range tailStats() {
				o.logRatio[si] = [2]float64{math.Log(f.of(c) / f.of(v)), math.Log(f.of(c) / f.of(u))}
			}
		} else {
			o.p99 = append(o.p99, p99(c))
		}
		for design, b := range []*report.Report{v, u} {
			verdicts := make([]bool, len(methods))
			for mi, m := range methods {
				verdicts[mi] = m.Fails(b, c, cache)
			}
			o.fails[design] = append(o.fails[design], verdicts)
		}
	}
	return o, nil
}

// parallel runs f(0..n-1) on workers goroutines, stopping at the first error or cancellation.
func parallel(ctx context.Context, workers, n int, f func(int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := f(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return err
}

// ttftReport is the run's report with TTFT only (what the study judges), so
// that thousands of runs stay cheap.
func ttftReport(stages []mockvllm.SimStage, w mockvllm.Workload) *report.Report {
	r := &report.Report{Source: "simulated run"}
	for i, s := range stages {
		st := report.Stage{ID: i, RequestedRate: s.RequestedRate, AchievedRate: s.AchievedRate,
			Requests: int64(s.Requests), Successes: int64(s.Requests),
			Distributions: map[report.Metric]report.Distribution{
				report.TTFT:          histogramOf(s.TTFTSamples()),
				report.ScheduleDelay: histogramOf(make([]float64, s.Requests)),
			}}
		st.Throughput.RequestsPerSec = float64(s.Requests) / w.Stages[i].Duration.Seconds()
		st.Timeline = timelineOf(s, w.Stages[i].Duration, false)
		r.Stages = append(r.Stages, st)
	}
	r.Experiment = experimentOf(w)
	r.Summary = r.Stages[0]
	r.Summary.ID = -1
	return r
}

// p99 is the run's P99 TTFT in seconds.
func p99(r *report.Report) float64 {
	v, _ := r.Summary.Distributions[report.TTFT].Percentile(99)
	return v
}

// Method is one way of gating a candidate run.
type Method struct {
	// Name labels the method's column.
	Name string
	// Fails judges a candidate against a baseline; a refusal counts as a fail
	// (a gate never passes what it cannot judge). The cache holds the runs'
	// timeline measurements for the judgements of one repetition.
	Fails func(base, cand *report.Report, cache *matchers.TailCache) bool
}

// Methods are the gates the study compares, for a tolerance and an absolute threshold.
func Methods(tolerance float64, threshold time.Duration) []Method {
	fails := func(m interface {
		Match(any) (bool, error)
	}, cand *report.Report) bool {
		ok, err := m.Match(cand)
		return err != nil || !ok
	}
	return []Method{
		{fmt.Sprintf("absolute p99 < %s", threshold), func(_, c *report.Report, _ *matchers.TailCache) bool {
			return fails(matchers.HavePercentileBelow(report.TTFT, 99, threshold.Seconds()), c)
		}},
		{"absolute strict", func(_, c *report.Report, _ *matchers.TailCache) bool {
			return fails(matchers.HavePercentileBelow(report.TTFT, 99, threshold.Seconds()).Strict(), c)
		}},
		{fmt.Sprintf("point ratio > %+.0f%%", 100*tolerance), func(b, c *report.Report, _ *matchers.TailCache) bool {
			return p99(c) > p99(b)*(1+tolerance)
		}},
		{"regression default", func(b, c *report.Report, tc *matchers.TailCache) bool {
			return fails(matchers.HaveNoRegressionFrom(b, report.TTFT, 99, tolerance).WithTailCache(tc), c)
		}},
		{"regression strict", func(b, c *report.Report, tc *matchers.TailCache) bool {
			return fails(matchers.HaveNoRegressionFrom(b, report.TTFT, 99, tolerance).Strict().WithTailCache(tc), c)
		}},
	}
}
