package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/study"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// runPlan prints, per percentile promise of an SLA file, how long each stage
// of a scenario must run for the gate to judge it (the sample-count rule),
// and per regression promise how long for 95% power at its tolerance.
func runPlan(_ context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(s.err)
	name := fs.String("scenario", "production", "preset scenario")
	slaPath := fs.String("sla", "", "SLA file (required)")
	baseDir := fs.String("baseline", "", "baseline report directory whose own variability plans the regression promises (default: the SLA's baseline when it exists)")
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
		base, err := planBaseline(*baseDir, r)
		if err != nil {
			fmt.Fprintf(s.err, "plan: --baseline: %v\n", err)
			return 2
		}
		for _, l := range r.Latency {
			need := matchers.SamplesNeeded(l.P, k)
			dur := time.Duration(math.Ceil(float64(need)/rate)) * time.Second
			fmt.Fprintf(tw, "%s %s within +%g%% of the baseline\t%d per run\t%s to be judged; %s\n",
				l.Metric, report.PercentileName(l.P), 100*l.Tolerance, need, dur, powerDuration(*name, base, l, r.Confidence))
		}
	}
	return map[bool]int{true: 0, false: 1}[tw.Flush() == nil]
}

// planBaseline reads the baseline run whose own variability plans the
// regression promises: --baseline, else the SLA's baseline when it can be
// read; nil when neither names one.
func planBaseline(flagDir string, r *matchers.Regression) (*report.Report, error) {
	dir := flagDir
	if dir == "" {
		dir = r.BaselineDir("")
		if dir == "" {
			return nil, nil
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, nil // the SLA's baseline does not exist yet: plan from the study
		}
	}
	return report.ReadDir(dir)
}

// powerDuration says how long each run must be for 95% power at the
// promise's tolerance, from the baseline's spread or the study's.
func powerDuration(scenario string, base *report.Report, l matchers.RegressionPromise, confidence float64) string {
	from := "the baseline's own spread"
	var sp matchers.Spread
	var err error
	if base != nil {
		sp, err = matchers.SpreadOf(base, l.Metric, l.P)
		if err != nil {
			return fmt.Sprintf("95%% power unknown: %v", err)
		}
	} else {
		var ok bool
		if sp, ok = study.MeasuredSpread(scenario, l.Metric, l.P); !ok {
			return "95% power: give --baseline DIR (a run of this scenario) to plan it; the study measured only production's TTFT p99"
		}
		from = "the verdict study's spread (" + study.SpreadMeasured + ")"
	}
	d := matchers.DurationForPower(sp, l.Tolerance, confidence, matchers.Power)
	return fmt.Sprintf("%s per run for %.0f%% power at +%g%% (%s: log SE %.3f over %s)",
		d, 100*matchers.Power, 100*l.Tolerance, from, sp.LogSE, sp.Over)
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
