package framework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// PipelineInput is what RunPipeline needs.
type PipelineInput struct {
	// Name labels the run (the scenario's name) in progress lines, the
	// summary's headline and the JUnit suite.
	Name     string
	Settings Settings
	Scenario scenarios.Config
	// SLA is judged; NoSLA() when the user gave none, so the implied
	// promises are still judged.
	SLA matchers.SLA
	// Runners are the runners Settings.Runner may name; nil means
	// NewRegistry() (the native runner only).
	Runners *Registry
	// Dir is the report directory.
	Dir string
	// Log receives progress lines and what the pipeline did; nil discards them.
	Log io.Writer
	// ProgressEvery is the interval of the progress line: 0 means 5 s, a
	// negative value none.
	ProgressEvery time.Duration
	// UseScenarioTarget keeps the scenario's own server.base_url when the
	// settings give no target URL (see PrepareInput).
	UseScenarioTarget bool
}

// NoSLA is the SLA judged when the user gives no SLA file: only the promises
// every run must keep (the load was delivered, and those the matchers imply).
func NoSLA() matchers.SLA {
	return matchers.SLA{Load: matchers.DefaultLoadBounds(), MinTailSamples: matchers.MinTailSamples}
}

// EvidencePromise is the name of the verdict that says whether the report
// directory was saved; it follows the SLA's promises.
const EvidencePromise = "evidence saved"

// evidenceNotSaved starts the message of a run whose evidence could not be saved.
const evidenceNotSaved = "evidence not saved"

// RunPipeline is the one way a scenario runs, for the suites and the CLI: it
// marks the report directory as in progress, resolves the target and the
// runner, runs the scenario, judges the report against the SLA, and saves the
// report files, per-request records, junit.xml, summary.md and verdict.json
// in one step (see report.WriteFiles). It never returns nil; the Judgement's
// outcome says pass, fail or inconclusive.
func RunPipeline(ctx context.Context, in PipelineInput) *Judgement {
	logw := in.Log
	if logw == nil {
		logw = io.Discard
	}
	j := &Judgement{Name: in.Name, SLASource: in.SLA.Source, Dir: in.Dir, Baseline: readBaseline(in.SLA)}
	if err := report.BeginDir(in.Dir, "tailgate "+in.Name); err != nil {
		j.notRun(in.SLA, report.Inconclusive, fmt.Errorf("%s: %w", evidenceNotSaved, err))
		j.save(logw, nil)
		return j
	}
	s, note := judgeableSettings(in.Scenario, in.Settings, in.SLA)
	for _, n := range []string{note, sweepRateNote(in.Scenario, s)} {
		if n != "" {
			j.Notes = append(j.Notes, n)
			fmt.Fprintln(logw, "tailgate: "+n)
		}
	}
	pin := PrepareInput{Settings: s, Scenario: in.Scenario, Runners: in.Runners, Log: logw, UseScenarioTarget: in.UseScenarioTarget}
	if in.ProgressEvery >= 0 {
		pin.ProgressEvery = in.ProgressEvery
		pin.Progress = func(p loadgen.Progress) { fmt.Fprintf(logw, "tailgate %s: %s\n", in.Name, p) }
	}
	g, err := Prepare(ctx, pin)
	if err != nil {
		j.notRun(in.SLA, runOutcome(ctx, err), err)
		j.save(logw, nil)
		return j
	}
	defer func() {
		if err := g.Close(); err != nil {
			fmt.Fprintf(logw, "tailgate: releasing the %s runner: %v\n", g.Settings.Runner, err)
		}
	}()
	fmt.Fprintf(logw, "tailgate: running %s (%s) against %s, model %s; reports in %s\n",
		in.Name, describeLoad(g.Config), RedactURL(g.Config.Server.BaseURL), g.Config.Server.ModelName, absPath(in.Dir))
	m, err := g.Run(ctx)
	j.Report, j.Err = m.Report, err
	if m.Report == nil {
		j.notRun(in.SLA, runOutcome(ctx, err), err)
	} else {
		m.Report.Experiment = ExperimentOf(g.Config)
		j.Verdicts = Judge(in.SLA, m.Report, g.Config)
		if err != nil {
			j.Verdicts[0] = taint(j.Verdicts[0], err)
		}
	}
	j.save(logw, m.Requests)
	return j
}

// runOutcome classifies an error that stopped a run before it produced a
// report: an interrupted run or a refusal is inconclusive; a target that
// refused the run (unreachable, wrong model or key) fails it.
func runOutcome(ctx context.Context, err error) report.Outcome {
	if errors.Is(err, matchers.ErrInconclusive) || ctx.Err() != nil {
		return report.Inconclusive
	}
	return report.Fail
}

// notRun gives every promise the outcome of a run that produced no report.
func (j *Judgement) notRun(sla matchers.SLA, o report.Outcome, err error) {
	j.Err = err
	for _, p := range sla.Promises() {
		j.Verdicts = append(j.Verdicts, report.Verdict{Promise: p.Name, Outcome: o, Message: "not judged: " + err.Error()})
	}
}

// taint marks the first verdict (load delivered) inconclusive when the run
// ended with an error although it produced a report.
func taint(v report.Verdict, err error) report.Verdict {
	msg := "the run ended with an error: " + err.Error()
	if v.Message != "" {
		msg = v.Message + "; " + msg
	}
	if v.Outcome == report.Pass {
		v.Outcome = report.Inconclusive
	}
	v.Message = msg
	return v
}

// save writes the report directory and adds the evidence verdict; when the
// directory cannot be written, the run is inconclusive and the summary files
// are written in place as far as possible.
func (j *Judgement) save(logw io.Writer, recs []loadgen.RequestRecord) {
	ev := report.Verdict{Promise: EvidencePromise, Outcome: report.Pass, Measured: "report files in " + absPath(j.Dir)}
	if j.Err != nil && strings.HasPrefix(j.Err.Error(), evidenceNotSaved) {
		ev.Outcome, ev.Measured, ev.Message = report.Inconclusive, "", j.Err.Error()
	}
	j.Verdicts = append(j.Verdicts, ev)
	j.finish()
	var extra []report.File
	if len(recs) > 0 {
		extra = append(extra, RequestsFile(recs))
	}
	if ev.Outcome == report.Pass {
		var err error
		if j.Report != nil {
			err = report.WriteDir(j.Dir, j.Report, append(extra, j.Files()...)...)
		} else {
			err = report.WriteFiles(j.Dir, j.Files()...)
		}
		if err != nil {
			last := &j.Verdicts[len(j.Verdicts)-1]
			last.Outcome, last.Measured, last.Message = report.Inconclusive, "", fmt.Sprintf("%s: %v", evidenceNotSaved, err)
			j.finish()
			j.writeInPlace(logw)
		}
	}
	j.appendStepSummary(logw)
}

// finish derives the outcome and the advice from the verdicts.
func (j *Judgement) finish() {
	j.Outcome = Outcome(j.Verdicts)
	j.Advice = nil
	if j.Outcome == report.Inconclusive {
		j.Advice = Advice(j.Verdicts)
	}
}

// writeInPlace writes the summary files straight into the directory, without
// the staging step, when the atomic save failed; errors go to logw.
func (j *Judgement) writeInPlace(logw io.Writer) {
	fmt.Fprintf(logw, "tailgate: %s\n", j.Verdicts[len(j.Verdicts)-1].Message)
	for _, f := range j.Files() {
		out, err := os.Create(filepath.Join(j.Dir, f.Name))
		if err != nil {
			continue
		}
		_ = f.Write(out)
		_ = out.Close()
	}
}

// appendStepSummary appends summary.md to $GITHUB_STEP_SUMMARY when set.
func (j *Judgement) appendStepSummary(logw io.Writer) {
	p := os.Getenv("GITHUB_STEP_SUMMARY")
	if p == "" {
		return
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintf(logw, "tailgate: GITHUB_STEP_SUMMARY: %v\n", err)
		return
	}
	_ = j.WriteSummary(f)
	_ = f.Close()
}

// describeLoad says what load cfg asks for and how long its schedule lasts,
// both as the scenario itself answers them.
func describeLoad(cfg scenarios.Config) string {
	return fmt.Sprintf("%s; about %s", cfg.LoadSummary(), cfg.PlannedDuration())
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// readBaseline reads the baseline run of the SLA's regression block for the
// HTML report; nil without one or when it cannot be read (the regression
// promises then refuse to judge and say why).
func readBaseline(sla matchers.SLA) *report.Report {
	if sla.Regression == nil {
		return nil
	}
	base, err := report.ReadDir(sla.Regression.BaselineDir(""))
	if err != nil {
		return nil
	}
	return base
}
