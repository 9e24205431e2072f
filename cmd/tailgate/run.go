package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/matchers"
)

// runRun runs a scenario against a target through the same pipeline as the
// suites, with any registered runner (the native engine, or a Kubernetes Job
// with --runner inference-perf-job or native-job), and judges it against an
// SLA file (or only the implied promises): exit 0 when every promise holds, 1
// when one breaks, 3 when the run cannot be judged, 2 for usage errors.
func runRun(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(s.err)
	reg := framework.NewRegistry()
	cluster.Register(reg)
	scenario := fs.String("scenario", "", "preset scenario: production, baseline, saturation or sweep")
	config := fs.String("config", "", "inference-perf config file (instead of --scenario)")
	values := fs.String("values", "", "AI-on-EKS benchmark chart values file to overlay")
	bound := framework.BindFlags(fs, "", runSettings(reg), os.Getenv)
	progress := fs.Duration("progress", 5*time.Second, "interval of the progress line on stderr (0 disables it)")
	fs.Usage = func() { runUsage(s, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return framework.ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "run: unexpected arguments %q\n", fs.Args())
		return framework.ExitUsage
	}
	if (*scenario == "") == (*config == "") {
		fmt.Fprintln(s.err, "run: give exactly one of --scenario and --config")
		return framework.ExitUsage
	}
	in, err := runInput(reg, bound, *scenario, *config, *values)
	if err != nil {
		fmt.Fprintf(s.err, "run: %v\n", err)
		return framework.ExitUsage
	}
	in.Log, in.ProgressEvery = s.err, *progress
	if *progress <= 0 {
		in.ProgressEvery = -1
	}
	j := framework.RunPipeline(ctx, in)
	return printJudgement(s, j)
}

// runSettings are the settings `tailgate run` takes as flags: every setting
// of the registry, the target URL as --target. Secrets are read from their
// variables only, so they never appear in a process list.
func runSettings(reg *framework.Registry) []framework.Setting {
	var out []framework.Setting
	for _, st := range reg.FlagSettings() {
		if st.Secret {
			continue
		}
		if st.Env == framework.EnvTargetURL {
			st.Flag = "target"
		}
		out = append(out, st)
	}
	return out
}

// runSecrets are the settings read from their variables only.
func runSecrets(reg *framework.Registry) []string {
	var out []string
	for _, st := range reg.FlagSettings() {
		if st.Secret {
			out = append(out, st.Env)
		}
	}
	return out
}

func runUsage(s stdio, fs *flag.FlagSet) {
	fmt.Fprintln(s.err, "usage: tailgate run --scenario NAME | --config FILE [--values FILE] [--target URL] [--model M] [--sla FILE] [--duration D] [--rate R] [--report-dir DIR]")
	fmt.Fprintln(s.err, "                    [--runner inference-perf-job|native-job --cluster kubeconfig|kind|kwok [--kubeconfig FILE] ...]")
	fmt.Fprintln(s.err)
	fmt.Fprintln(s.err, "Runs the scenario with the runner (default the native load engine in this process; the Job runners")
	fmt.Fprintln(s.err, "run it as a Kubernetes Job in the cluster the cluster flags name), judges the report against the")
	fmt.Fprintln(s.err, "SLA (or, without one, the implied promises) and writes the report files, junit.xml and summary.md.")
	fmt.Fprintln(s.err, "Secrets are read from their variables only ("+framework.EnvAPIKey+", "+framework.EnvPrometheusToken+", "+cluster.EnvHFToken+"),")
	fmt.Fprintln(s.err, "so they never appear in a process list.")
	fmt.Fprintln(s.err, "Exit status: 0 every promise holds; 1 a promise broke (or the target refused the run);")
	fmt.Fprintln(s.err, "2 usage error; 3 inconclusive: the evidence cannot decide (load not delivered, too few")
	fmt.Fprintln(s.err, "samples, partial run, report not saved) - retry on a quieter machine or with a longer run.")
	fmt.Fprintln(s.err)
	fs.PrintDefaults()
}

// runInput resolves the flags into the pipeline's input. An error in a
// setting names the flag when the flag was given, the variable otherwise.
func runInput(reg *framework.Registry, bound *framework.BoundFlags, scenario, config, values string) (framework.PipelineInput, error) {
	vals := bound.Raw()
	for _, env := range runSecrets(reg) {
		vals[env] = os.Getenv(env)
	}
	settings, err := reg.SettingsFromValues(vals, bound.Label("--"))
	if err != nil {
		return framework.PipelineInput{}, err
	}
	cfg, err := framework.LoadScenario(scenario, config, values)
	if err != nil {
		return framework.PipelineInput{}, err
	}
	sla := framework.NoSLA()
	if settings.SLA != "" {
		if sla, err = matchers.LoadSLA(settings.SLA); err != nil {
			return framework.PipelineInput{}, err
		}
	}
	sla = sla.WithBaseline(settings.Baseline)
	name := scenario
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(config), filepath.Ext(config))
	}
	return framework.PipelineInput{
		Name: name, Settings: settings, Scenario: cfg, SLA: sla, Runners: reg, UseScenarioTarget: config != "",
		Dir: settings.ReportDirOr(filepath.Join("tailgate-report", name)),
	}, nil
}

// printJudgement prints the report table and the verdicts, and returns the exit code.
func printJudgement(s stdio, j *framework.Judgement) int {
	if j.Err != nil {
		fmt.Fprintf(s.err, "run: %v\n", j.Err)
	}
	if rep := j.Report; rep != nil {
		if rep.Partial {
			fmt.Fprintf(s.err, "run: partial run (%s); the partial report is in %s\n", rep.PartialReason, j.Dir)
		}
		_ = rep.WriteText(s.out)
		fmt.Fprintln(s.out)
	}
	_ = j.WriteText(s.out)
	return j.ExitCode()
}
