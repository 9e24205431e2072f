package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"text/tabwriter"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// runPlan prints, per percentile promise of an SLA file, how long each stage
// of a scenario must run for the gate to judge it (the sample-count rule).
func runPlan(_ context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(s.err)
	name := fs.String("scenario", "production", "preset scenario")
	slaPath := fs.String("sla", "", "SLA file (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *slaPath == "" {
		fmt.Fprintln(s.err, "plan: --sla is required: the SLA file whose promises to plan for")
		return 2
	}
	cfg, err := scenarios.Preset(*name)
	if err != nil {
		fmt.Fprintf(s.err, "plan: --scenario: %v\n", err)
		return 2
	}
	sla, err := matchers.LoadSLA(*slaPath)
	if err != nil {
		fmt.Fprintf(s.err, "plan: %v\n", err)
		return 2
	}
	rate := lowestRate(cfg)
	if rate <= 0 {
		fmt.Fprintf(s.err, "plan: scenario %s has no rate-based stage to plan for\n", *name)
		return 2
	}
	k := sla.MinTailSamples
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "promise\tsamples needed\tminimum stage duration at %g req/s\n", rate)
	for _, l := range sla.Latency {
		need := matchers.SamplesNeeded(l.P, k)
		dur := (time.Duration(math.Ceil(float64(need)/rate)) * time.Second).String()
		if l.Metric == report.ITL {
			dur = "seconds (every request gives output tokens - 1 token gaps)"
		}
		fmt.Fprintf(tw, "%s %s < %s\t%d\t%s\n", l.Metric, report.PercentileName(l.P), l.Max, need, dur)
	}
	if r := sla.Regression; r != nil {
		for _, l := range r.Latency {
			need := matchers.SamplesNeeded(l.P, k)
			dur := time.Duration(math.Ceil(float64(need)/rate)) * time.Second
			fmt.Fprintf(tw, "%s %s within +%g%% of the baseline\t%d per run\t%s to be judged; see the README's verdict study for its false fails and power by duration\n",
				l.Metric, report.PercentileName(l.P), 100*l.Tolerance, need, dur)
		}
	}
	return map[bool]int{true: 0, false: 1}[tw.Flush() == nil]
}

// lowestRate is the lowest rate among the scenario's rate-based stages; 0 when none.
func lowestRate(cfg scenarios.Config) float64 {
	low := 0.0
	for _, st := range cfg.Load.Stages {
		if st.Rate > 0 && (low == 0 || st.Rate < low) {
			low = st.Rate
		}
	}
	return low
}
