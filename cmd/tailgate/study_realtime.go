package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/study"
)

// realRun is what one real-time run measured.
type realRun struct {
	p99, achieved, lagP99 float64
}

// crossCheck runs the production scenario n times in real time (the native
// engine against the embedded simulated vLLM on loopback, each run its own
// workload seed) and reps times in virtual time, and prints the spread of
// P99 TTFT of both with its uncertainty.
func crossCheck(ctx context.Context, s stdio, n int, d time.Duration, reps, workers int) int {
	start := time.Now()
	var real []realRun
	for i := range n {
		r, err := realTimeRun(ctx, d, int64(i+1))
		if err != nil {
			fmt.Fprintf(s.err, "study: real-time run %d: %v\n", i+1, err)
			return 1
		}
		fmt.Fprintf(s.err, "study: real-time run %d of %d: P99 TTFT %.0f ms, achieved %.2f req/s, schedule lag p99 %.1f ms\n",
			i+1, n, 1000*r.p99, r.achieved, 1000*r.lagP99)
		real = append(real, r)
	}
	realWall := time.Since(start)
	virtual, err := study.VirtualP99s(ctx, d, reps, workers)
	if err != nil {
		fmt.Fprintf(s.err, "study: %v\n", err)
		return 1
	}
	p99s := make([]float64, len(real))
	var lag, rate float64
	for i, r := range real {
		p99s[i] = r.p99
		lag, rate = max(lag, r.lagP99), rate+r.achieved/float64(len(real))
	}
	fmt.Fprintf(s.out, "P99 TTFT of the production scenario (15 req/s, %s runs), measured %s:\n\n", d, start.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintln(s.out, "| clock | runs | mean P99 TTFT (95% CI) | SD between runs (95% CI) | CV |")
	fmt.Fprintln(s.out, "|---|---:|---:|---:|---:|")
	row(s.out, fmt.Sprintf("real time: native engine + simulated vLLM on loopback (%s wall; mean achieved %.2f req/s, worst schedule lag p99 %.1f ms)", realWall.Round(time.Second), rate, 1000*lag), study.Summarize(p99s))
	row(s.out, "virtual time: mockvllm.Simulate, same profile and noise", study.Summarize(virtual))
	return 0
}

func row(w io.Writer, name string, x study.Sample) {
	fmt.Fprintf(w, "| %s | %d | %.0f ms (%.0f–%.0f) | %.1f ms (%.1f–%.1f) | %.1f%% |\n",
		name, x.N, 1000*x.Mean, 1000*x.MeanLow, 1000*x.MeanHigh, 1000*x.SD, 1000*x.SDLow, 1000*x.SDHigh, 100*x.CV)
}

// realTimeRun is one production run of length d through the real client
// against the embedded simulated vLLM, its workload drawn from seed.
func realTimeRun(ctx context.Context, d time.Duration, seed int64) (realRun, error) {
	cfg, err := framework.LoadScenario("production", "", "")
	if err != nil {
		return realRun{}, err
	}
	cfg.Load.BaseSeed = seed
	settings, err := framework.SettingsFromValues(map[string]string{
		framework.EnvRunner: framework.RunnerNative, framework.EnvDuration: d.String(),
	}, nil)
	if err != nil {
		return realRun{}, err
	}
	g, err := framework.Prepare(ctx, framework.PrepareInput{Settings: settings, Scenario: cfg})
	if err != nil {
		return realRun{}, err
	}
	defer g.Close()
	m, err := g.Run(ctx)
	if err != nil {
		return realRun{}, err
	}
	sum := m.Report.Summary
	ttft, ok := sum.Distribution(report.TTFT)
	if !ok {
		return realRun{}, fmt.Errorf("no TTFT measured")
	}
	var r realRun
	if r.p99, err = ttft.Percentile(99); err != nil {
		return realRun{}, err
	}
	for _, st := range m.Report.Stages {
		r.achieved += st.AchievedRate / float64(len(m.Report.Stages))
	}
	if lag, ok := sum.Distribution(report.ScheduleDelay); ok {
		r.lagP99, _ = lag.Percentile(99)
	}
	return r, nil
}
