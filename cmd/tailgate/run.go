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
	"github.com/tailgate-dev/tailgate/matchers"
)

// runRun runs a scenario against a target through the same pipeline as the
// suites and judges it against an SLA file (or only the implied promises):
// exit 0 when every promise holds, 1 when one breaks, 3 when the run cannot
// be judged, 2 for usage errors.
func runRun(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(s.err)
	env := os.Getenv
	scenario := fs.String("scenario", "", "preset scenario: production, baseline, saturation or sweep")
	config := fs.String("config", "", "inference-perf config file (instead of --scenario)")
	values := fs.String("values", "", "AI-on-EKS benchmark chart values file to overlay")
	raw := map[string]*string{}
	flagOf := map[string]string{}
	bind := func(name, envName, usage string) {
		raw[envName] = fs.String(name, env(envName), usage+" (env "+envName+")")
		flagOf[envName] = name
	}
	bind("target", framework.EnvTargetURL, "base URL of the server under test; empty starts the simulated vLLM")
	bind("model", framework.EnvModel, "model name to request")
	bind("tokenizer", framework.EnvTokenizer, "tokenizer.json, model directory or Hugging Face id")
	bind("sla", framework.EnvSLA, "SLA file to judge the run against; without one only the implied promises are judged")
	bind("duration", framework.EnvDuration, "override every stage's duration, e.g. 70s")
	bind("rate", framework.EnvRate, "override every stage's rate in req/s")
	bind("report-dir", framework.EnvReportDir, "directory for the report files, junit.xml and summary.md (default tailgate-report/<scenario>)")
	bind("drain-timeout", framework.EnvDrainTimeout, "how long requests in flight after a stage's last send may finish, 1s to 1h; the rest fail as \"Drain Timeout\" and the run is partial (default 60s)")
	bind("request-timeout", framework.EnvRequestTimeout, "per-request timeout, 1s to 1h (default the scenario's load.request_timeout, else 5m)")
	bind("baseline", framework.EnvBaseline, "baseline report directory for the SLA's regression promises (overrides regression.baseline)")
	bind("interval", framework.EnvInterval, "timeline interval of the histogram logs, e.g. 1s (default) or 10s")
	bind("server-metrics", framework.EnvServerMetrics, "scrape or off: collect the server's /metrics during the run (default: scrape when it serves vLLM's families)")
	bind("prometheus-url", framework.EnvPrometheusURL, "Prometheus to query for the server's metrics instead of scraping /metrics")
	bind("prometheus-selector", framework.EnvPrometheusSelector, "label matchers picking the target's series in Prometheus")
	bind("shard", framework.EnvShard, "run shard I of N (I/N, 0-based) of the load; needs --start-at")
	bind("start-at", framework.EnvStartAt, "shared start time of every shard (RFC 3339), e.g. 2026-12-01T15:00:00Z")
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
	in, err := runInput(fs, raw, flagOf, *scenario, *config, *values, env(framework.EnvAPIKey))
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

func runUsage(s stdio, fs *flag.FlagSet) {
	fmt.Fprintln(s.err, "usage: tailgate run --scenario NAME | --config FILE [--values FILE] [--target URL] [--model M] [--sla FILE] [--duration D] [--rate R] [--report-dir DIR]")
	fmt.Fprintln(s.err)
	fmt.Fprintln(s.err, "Runs the scenario with the native load engine, judges the report against the SLA (or, without")
	fmt.Fprintln(s.err, "one, the implied promises) and writes the report files, junit.xml and summary.md.")
	fmt.Fprintln(s.err, "The API key is read from "+framework.EnvAPIKey+" only, so it never appears in a process list.")
	fmt.Fprintln(s.err, "Exit status: 0 every promise holds; 1 a promise broke (or the target refused the run);")
	fmt.Fprintln(s.err, "2 usage error; 3 inconclusive: the evidence cannot decide (load not delivered, too few")
	fmt.Fprintln(s.err, "samples, partial run, report not saved) - retry on a quieter machine or with a longer run.")
	fmt.Fprintln(s.err)
	fs.PrintDefaults()
}

// runInput resolves the flags into the pipeline's input. An error in a
// setting names the flag when the flag was given, the variable otherwise.
func runInput(fs *flag.FlagSet, raw map[string]*string, flagOf map[string]string, scenario, config, values, apiKey string) (framework.PipelineInput, error) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	vals := map[string]string{framework.EnvAPIKey: apiKey, framework.EnvRunner: framework.RunnerNative}
	for envName, p := range raw {
		vals[envName] = *p
	}
	settings, err := framework.SettingsFromValues(vals, func(envName string) string {
		if f := flagOf[envName]; given[f] {
			return "--" + f
		}
		return envName
	})
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
		Name: name, Settings: settings, Scenario: cfg, SLA: sla, UseScenarioTarget: config != "",
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
