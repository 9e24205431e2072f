package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/calibration"
)

// runCalibrate replays a real inference-perf run's workload through a simulated
// vLLM profile in virtual time and prints the stage-by-stage comparison.
func runCalibrate(_ context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("calibrate", flag.ContinueOnError)
	fs.SetOutput(s.err)
	dir := fs.String("report", "", "directory of the real run: stage_N_lifecycle_metrics.json and inference-perf-config.yaml (required)")
	cfg := fs.String("config", "", "the run's inference-perf config (default: <report>/inference-perf-config.yaml)")
	profile := fs.String("profile", "h100-llama3-8b", "simulated vLLM profile to hold against the run")
	seed := fs.Uint64("seed", 1, "seed for prompt lengths and the profile's noise")
	fit := fs.Bool("fit", false, "fit the tail model (front-end queue, step spread, pauses) to the run and print it as fitted.go's constants")
	rounds := fs.Int("fit-rounds", 6, "with --fit: passes of the coordinate search over the parameters")
	replicas := fs.Int("fit-replicas", 4, "with --fit: seeded runs averaged for each candidate")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(s.err, "calibrate: --report is required: the directory of a real inference-perf run")
		return 2
	}
	p, err := mockvllm.ProfileByName(*profile)
	if err != nil {
		fmt.Fprintf(s.err, "calibrate: --profile: %v\n", err)
		return 2
	}
	if p.Fixed {
		fmt.Fprintln(s.err, "calibrate: --profile fixed has no batching model to calibrate; use h100-llama3-8b or qwen3-8b-h100")
		return 2
	}
	if *fit {
		return printFit(calibration.Input{ReportDir: *dir, ConfigFile: *cfg, Profile: p, Seed: *seed}, *rounds, *replicas, s)
	}
	c, err := calibration.Calibrate(calibration.Input{ReportDir: *dir, ConfigFile: *cfg, Profile: p, Seed: *seed})
	if err != nil {
		fmt.Fprintf(s.err, "%v\n", err)
		return 1
	}
	if err := c.WriteTable(s.out); err != nil {
		return 1
	}
	if len(c.Check()) > 0 {
		return 1
	}
	return 0
}

// printFit runs the tail-model search and prints its progress to stderr and the
// fitted constants to stdout.
func printFit(in calibration.Input, rounds, replicas int, s stdio) int {
	if rounds < 1 || replicas < 1 {
		fmt.Fprintln(s.err, "calibrate: --fit-rounds and --fit-replicas must be >= 1")
		return 2
	}
	f, err := calibration.FitNoise(in, rounds, replicas, s.err)
	if err != nil {
		fmt.Fprintf(s.err, "%v\n", err)
		return 1
	}
	fmt.Fprintf(s.err, "objective %.4f (start %.4f) after %d simulated runs\n", f.Error, f.Start, f.Evaluations)
	if err := f.WriteGo(s.out); err != nil {
		return 1
	}
	return 0
}
