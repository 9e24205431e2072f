package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/tailgate-dev/tailgate/scenarios"
)

// runRender prints the inference-perf config.yml of a preset, an inference-perf config
// file, or an AI-on-EKS values file overlaid on either.
func runRender(_ context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: tailgate render [--scenario NAME | --config FILE] [--values FILE] [--show-secrets]")
		fmt.Fprintln(s.err, "")
		fmt.Fprintln(s.err, "Prints the inference-perf config.yml of a scenario: a preset of the AI-on-EKS benchmark chart")
		fmt.Fprintf(s.err, "(%s), or an inference-perf config file, with an AI-on-EKS chart values\n", strings.Join(scenarios.PresetNames(), ", "))
		fmt.Fprintln(s.err, "file (benchmark.scenario, benchmark.target.*, benchmark.scenarios.<name>.…, benchmark.storage.s3.*)")
		fmt.Fprintln(s.err, "optionally overlaid. With --values alone the scenario is the one the values file selects.")
		fmt.Fprintln(s.err, "The input is validated as inference-perf validates it; keys left at inference-perf's defaults")
		fmt.Fprintln(s.err, "are not written.")
		fmt.Fprintln(s.err, "")
		fmt.Fprintln(s.err, "Secrets (server.api_key, tokenizer.token, secret-looking api.headers, URL passwords) are printed")
		fmt.Fprintln(s.err, "as REDACTED. Only --show-secrets prints the real values, for piping into a Secret or ConfigMap;")
		fmt.Fprintln(s.err, "never use it where the output is logged.")
		fmt.Fprintln(s.err, "")
		fmt.Fprintln(s.err, "Exit status: 0 printed, 1 invalid config or values file, 2 bad usage.")
		fmt.Fprintln(s.err, "")
		fmt.Fprintln(s.err, "examples:")
		fmt.Fprintln(s.err, "  tailgate render --scenario production")
		fmt.Fprintln(s.err, "  tailgate render --scenario production --values custom-production.yaml")
		fmt.Fprintln(s.err, "  tailgate render --config config.yml")
		fmt.Fprintln(s.err, "")
		fs.PrintDefaults()
	}
	scenario := fs.String("scenario", "", "preset to start from: "+strings.Join(scenarios.PresetNames(), ", "))
	configFile := fs.String("config", "", "inference-perf config file to start from (instead of --scenario)")
	valuesFile := fs.String("values", "", "AI-on-EKS benchmark-charts values file to overlay")
	showSecrets := fs.Bool("show-secrets", false, "print secrets as they are instead of REDACTED")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(s.err, "render: "+format+"\n", a...)
		fmt.Fprintln(s.err, "Run 'tailgate render -h' for usage.")
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument %q", fs.Arg(0))
	case *scenario != "" && *configFile != "":
		return usageErr("give --scenario or --config, not both")
	case *scenario == "" && *configFile == "" && *valuesFile == "":
		return usageErr("give --scenario NAME, --config FILE or --values FILE")
	}

	var (
		cfg     scenarios.Config
		haveCfg bool
		err     error
	)
	if *scenario != "" {
		if cfg, err = scenarios.Preset(*scenario); err != nil {
			return usageErr("%v", err)
		}
		haveCfg = true
	}
	if *configFile != "" {
		if cfg, err = scenarios.LoadFile(*configFile); err != nil {
			fmt.Fprintf(s.err, "render: %v\n", err)
			return 1
		}
		cfg.Name = "" // a values file may name the scenario
		haveCfg = true
	}
	if *valuesFile != "" {
		data, err := os.ReadFile(*valuesFile)
		if err != nil {
			fmt.Fprintf(s.err, "render: %v\n", err)
			return 1
		}
		if haveCfg {
			cfg, err = scenarios.ApplyValues(cfg, data)
		} else {
			cfg, err = scenarios.FromValues(data)
		}
		if err != nil {
			fmt.Fprintf(s.err, "render: %s: %v\n", *valuesFile, err)
			return 1
		}
	}

	render := scenarios.RenderRedacted
	if *showSecrets {
		render = scenarios.Render
	}
	out, err := render(cfg)
	if err != nil {
		fmt.Fprintf(s.err, "render: %v\n", err)
		return 1
	}
	if _, err := s.out.Write(out); err != nil {
		fmt.Fprintf(s.err, "render: writing output: %v\n", err)
		return 1
	}
	return 0
}
