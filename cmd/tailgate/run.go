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
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

// runRun runs a scenario against a target and judges it against an SLA file:
// exit 0 when every promise holds, 1 when one breaks, cannot be judged, or the
// run is invalid or interrupted, 2 for usage errors.
func runRun(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(s.err)
	env := os.Getenv
	scenario := fs.String("scenario", "", "preset scenario: production, baseline, saturation or sweep")
	config := fs.String("config", "", "inference-perf config file (instead of --scenario)")
	values := fs.String("values", "", "AI-on-EKS benchmark chart values file to overlay")
	target := fs.String("target", env(framework.EnvTargetURL), "base URL of the server under test; empty starts the simulated vLLM (env "+framework.EnvTargetURL+")")
	model := fs.String("model", env(framework.EnvModel), "model name to request (env "+framework.EnvModel+")")
	tok := fs.String("tokenizer", env(framework.EnvTokenizer), "tokenizer.json, model directory or Hugging Face id (env "+framework.EnvTokenizer+")")
	sla := fs.String("sla", env(framework.EnvSLA), "SLA file to judge the run against (env "+framework.EnvSLA+")")
	duration := fs.String("duration", env(framework.EnvDuration), "override every stage's duration, e.g. 70s (env "+framework.EnvDuration+")")
	rate := fs.String("rate", env(framework.EnvRate), "override every stage's rate in req/s (env "+framework.EnvRate+")")
	reportDir := fs.String("report-dir", env(framework.EnvReportDir), "directory for the report files (env "+framework.EnvReportDir+"; default tailgate-report/<scenario>)")
	drainTimeout := fs.String("drain-timeout", env(framework.EnvDrainTimeout), "how long requests in flight after a stage's last send may finish, 1s to 1h; the rest fail as \"Drain Timeout\" and the run is partial (env "+framework.EnvDrainTimeout+"; default 60s)")
	requestTimeout := fs.String("request-timeout", env(framework.EnvRequestTimeout), "per-request timeout, 1s to 1h (env "+framework.EnvRequestTimeout+"; default the scenario's load.request_timeout, else 5m)")
	progress := fs.Duration("progress", 5*time.Second, "interval of the progress line on stderr (0 disables it)")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: tailgate run --scenario NAME | --config FILE [--values FILE] [--target URL] [--model M] [--sla FILE] [--duration D] [--rate R] [--report-dir DIR]")
		fmt.Fprintln(s.err)
		fmt.Fprintln(s.err, "Runs the scenario with the native load engine and judges the report against the SLA.")
		fmt.Fprintln(s.err, "The API key is read from "+framework.EnvAPIKey+" only, so it never appears in a process list.")
		fmt.Fprintln(s.err, "Exit status: 0 every promise holds; 1 a promise breaks, cannot be judged, or the run is invalid or interrupted; 2 usage error.")
		fmt.Fprintln(s.err)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "run: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if (*scenario == "") == (*config == "") {
		fmt.Fprintln(s.err, "run: give exactly one of --scenario and --config")
		return 2
	}
	raw := map[string]string{
		framework.EnvTargetURL: *target, framework.EnvModel: *model, framework.EnvAPIKey: env(framework.EnvAPIKey),
		framework.EnvTokenizer: *tok, framework.EnvSLA: *sla, framework.EnvDuration: *duration, framework.EnvRate: *rate,
		framework.EnvRunner: framework.RunnerNative, framework.EnvReportDir: *reportDir,
		framework.EnvDrainTimeout: *drainTimeout, framework.EnvRequestTimeout: *requestTimeout,
	}
	settings, err := framework.SettingsFromEnv(func(k string) string { return raw[k] })
	if err != nil {
		fmt.Fprintf(s.err, "run: %v\n", err)
		return 2
	}
	cfg, err := framework.LoadScenario(*scenario, *config, *values)
	if err != nil {
		fmt.Fprintf(s.err, "run: %v\n", err)
		return 2
	}
	name := *scenario
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(*config), filepath.Ext(*config))
	}
	var promises []matchers.Promise
	if settings.SLA != "" {
		l, err := matchers.LoadSLA(settings.SLA)
		if err != nil {
			fmt.Fprintf(s.err, "run: %v\n", err)
			return 2
		}
		promises = l.Promises()
	} else {
		promises = []matchers.Promise{{Name: "load delivered", Matcher: matchers.HaveDeliveredLoad()}}
	}
	dir := settings.ReportDirOr(filepath.Join("tailgate-report", name))

	in := framework.PrepareInput{Settings: settings, Scenario: cfg, Log: s.err, UseScenarioTarget: *config != "",
		Requests: func(recs []loadgen.RequestRecord) {
			if err := framework.WriteRequests(dir, recs); err != nil {
				fmt.Fprintf(s.err, "run: %v\n", err)
			}
		}}
	if *progress > 0 {
		in.Progress = func(p loadgen.Progress) {
			fmt.Fprintf(s.err, "tailgate %s: %s\n", name, p)
		}
	}
	g, err := framework.Prepare(ctx, in)
	if err != nil {
		fmt.Fprintf(s.err, "run: %v\n", err)
		return 1
	}
	defer g.Close()
	if nr, ok := g.Runner.(*framework.NativeRunner); ok && *progress > 0 {
		nr.ProgressEvery = *progress
	}
	rep, err := g.Run(ctx)
	if rep != nil {
		if werr := report.WriteDir(dir, rep); werr != nil {
			fmt.Fprintf(s.err, "run: writing the report: %v\n", werr)
		} else {
			fmt.Fprintf(s.err, "tailgate: report files in %s\n", dir)
		}
		_ = rep.WriteText(s.out)
		fmt.Fprintln(s.out)
	}
	if err != nil {
		fmt.Fprintf(s.err, "run: %v\n", err)
		return 1
	}
	if rep.Partial {
		fmt.Fprintf(s.err, "run: INVALID: partial run (%s); the partial report is in %s\n", rep.PartialReason, dir)
		return 1
	}
	failed := 0
	for _, p := range promises {
		ok, merr := p.Matcher.Match(rep)
		switch {
		case merr != nil:
			failed++
			fmt.Fprintf(s.out, "ERROR %s: %v\n", p.Name, merr)
		case !ok:
			failed++
			fmt.Fprintf(s.out, "FAIL  %s: %s\n", p.Name, p.Matcher.FailureMessage(rep))
		default:
			fmt.Fprintf(s.out, "PASS  %s\n", p.Name)
		}
	}
	if failed > 0 {
		fmt.Fprintf(s.out, "\n%d of %d promises broken or not judged\n", failed, len(promises))
		return 1
	}
	fmt.Fprintf(s.out, "\nall %d promises hold\n", len(promises))
	return 0
}
