package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tailgate-dev/tailgate/scenarios"
)

// renderFlags are the command line of tailgate render.
type renderFlags struct {
	scenario, configFile, valuesFile string
	showSecrets                      bool
}

// renderUsageError is an error in how render was called (exit status 2).
type renderUsageError struct{ error }

// runRender prints the inference-perf config.yml of a preset, an inference-perf config
// file, or an AI-on-EKS values file overlaid on either.
func runRender(_ context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		renderUsage(s.err)
		fs.PrintDefaults()
	}
	var f renderFlags
	fs.StringVar(&f.scenario, "scenario", "", "preset to start from: "+strings.Join(scenarios.PresetNames(), ", "))
	fs.StringVar(&f.configFile, "config", "", "inference-perf config file to start from (instead of --scenario)")
	fs.StringVar(&f.valuesFile, "values", "", "AI-on-EKS benchmark-charts values file to overlay")
	fs.BoolVar(&f.showSecrets, "show-secrets", false, "print secrets as they are instead of REDACTED")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	err := f.check(fs.Args())
	var cfg scenarios.Config
	if err == nil {
		cfg, err = f.config()
	}
	if bad := (renderUsageError{}); errors.As(err, &bad) {
		fmt.Fprintf(s.err, "render: %v\n", bad)
		fmt.Fprintln(s.err, "Run 'tailgate render -h' for usage.")
		return 2
	}
	if err == nil {
		err = f.write(cfg, s.out)
	}
	if err != nil {
		fmt.Fprintf(s.err, "render: %v\n", err)
		return 1
	}
	return 0
}

// renderUsage prints what tailgate render does, before its flags.
func renderUsage(w io.Writer) {
	fmt.Fprintf(w, `usage: tailgate render [--scenario NAME | --config FILE] [--values FILE] [--show-secrets]

Prints the inference-perf config.yml of a scenario: a preset of the AI-on-EKS benchmark chart
(%s), or an inference-perf config file, with an AI-on-EKS chart values
file (benchmark.scenario, benchmark.target.*, benchmark.scenarios.<name>.…, benchmark.storage.s3.*)
optionally overlaid. With --values alone the scenario is the one the values file selects.
The input is validated as inference-perf validates it; keys left at inference-perf's defaults
are not written.

Secrets (server.api_key, tokenizer.token, secret-looking api.headers, URL passwords) are printed
as REDACTED. Only --show-secrets prints the real values, for piping into a Secret or ConfigMap;
never use it where the output is logged.

Exit status: 0 printed, 1 invalid config or values file, 2 bad usage.

examples:
  tailgate render --scenario production
  tailgate render --scenario production --values custom-production.yaml
  tailgate render --config config.yml

`, strings.Join(scenarios.PresetNames(), ", "))
}

// check refuses arguments and flag combinations render cannot use.
func (f renderFlags) check(args []string) error {
	switch {
	case len(args) > 0:
		return renderUsageError{fmt.Errorf("unexpected argument %q", args[0])}
	case f.scenario != "" && f.configFile != "":
		return renderUsageError{errors.New("give --scenario or --config, not both")}
	case f.scenario == "" && f.configFile == "" && f.valuesFile == "":
		return renderUsageError{errors.New("give --scenario NAME, --config FILE or --values FILE")}
	}
	return nil
}

// config builds the scenario the flags name: the preset or config file, with the
// values file overlaid when there is one.
func (f renderFlags) config() (scenarios.Config, error) {
	var (
		cfg     scenarios.Config
		haveCfg bool
		err     error
	)
	if f.scenario != "" {
		if cfg, err = scenarios.Preset(f.scenario); err != nil {
			return cfg, renderUsageError{err}
		}
		haveCfg = true
	}
	if f.configFile != "" {
		if cfg, err = scenarios.LoadFile(f.configFile); err != nil {
			return cfg, err
		}
		cfg.Name = "" // a values file may name the scenario
		haveCfg = true
	}
	if f.valuesFile == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(f.valuesFile)
	if err != nil {
		return cfg, err
	}
	if haveCfg {
		cfg, err = scenarios.ApplyValues(cfg, data)
	} else {
		cfg, err = scenarios.FromValues(data)
	}
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", f.valuesFile, err)
	}
	return cfg, nil
}

// write prints cfg as inference-perf's config.yml, secrets redacted unless asked.
func (f renderFlags) write(cfg scenarios.Config, w io.Writer) error {
	render := scenarios.RenderRedacted
	if f.showSecrets {
		render = scenarios.Render
	}
	out, err := render(cfg)
	if err != nil {
		return err
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
