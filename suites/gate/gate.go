// Package gate is the Ginkgo glue every tailgate suite shares: it runs a
// scenario once per suite, turns each promise of the suite's SLA file into
// its own spec (so JUnit has one testcase per promise, with the measured
// value in the failure message), and leaves the report files, a JUnit file
// and a Markdown summary in the report directory.
package gate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// DefaultReportDir is where a suite writes its files when TAILGATE_REPORT_DIR
// is unset, relative to the suite's package directory.
const DefaultReportDir = "tailgate-report"

// Input describes one gate suite.
type Input struct {
	// Scenario is the preset to run: production, baseline, saturation or sweep.
	Scenario string
	// SLAFile is the suite's SLA file, relative to the suite directory;
	// TAILGATE_SLA (or -tailgate.sla) replaces it.
	SLAFile string
	// Flags are the suite's -tailgate.* flags (framework.RegisterFlags).
	Flags *framework.Flags
	// Runners adds runners by name (e.g. the cluster Job runners).
	Runners map[string]framework.RunnerFactory
	// ProgressEvery is the interval of the progress line; 0 means 5 s.
	ProgressEvery time.Duration
}

// Declare declares the gate: an Ordered container whose BeforeAll runs the
// scenario and writes the report files, then one It per SLA promise (the
// implied "load delivered" first). It also registers the ReportAfterSuite
// that writes junit.xml and summary.md. Call it once, at the top level of
// the suite: var _ = gate.Declare(gate.Input{...}).
func Declare(in Input) bool {
	state := &run{in: in}
	ReportAfterSuite("tailgate: JUnit and summary", state.writeSuiteReports)
	return Describe(fmt.Sprintf("%s gate", in.Scenario), Ordered, ContinueOnFailure, Label("gate", in.Scenario), func() {
		settings, err := in.Flags.Settings()
		// The report directory is known even when another setting is invalid,
		// so that failure still reaches junit.xml and summary.md.
		state.dir = filepath.Join(settings.ReportDirOr(DefaultReportDir), in.Scenario)
		if err != nil {
			It("has valid settings", func() { Fail(err.Error()) })
			return
		}
		state.settings = settings
		slaPath := settings.SLA
		if slaPath == "" {
			slaPath = in.SLAFile
		}
		sla, err := matchers.LoadSLA(slaPath)
		if err != nil {
			It("has a valid SLA file", func() { Fail(err.Error()) })
			return
		}
		state.sla = sla

		BeforeAll(func(ctx SpecContext) { state.runScenario(ctx) }, NodeTimeout(24*time.Hour))

		for _, p := range sla.Promises() {
			It(p.Name, func() {
				Expect(state.rep).NotTo(BeNil(), "no report: the run did not produce one")
				Expect(state.rep).To(p.Matcher)
			})
		}
	})
}

// run is one suite's state, shared by its nodes.
type run struct {
	in       Input
	settings framework.Settings
	sla      matchers.SLA
	dir      string
	rep      *report.Report
	runErr   error
}

func (r *run) runScenario(ctx SpecContext) {
	cfg, err := framework.LoadScenario(r.in.Scenario, "", "")
	Expect(err).NotTo(HaveOccurred())
	every := r.in.ProgressEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	runners := r.in.Runners
	if runners == nil {
		runners = ClusterRunners()
	}
	g, err := framework.Prepare(ctx, framework.PrepareInput{
		Settings: r.settings, Scenario: cfg, Runners: runners,
		Progress: func(p loadgen.Progress) { fmt.Fprintln(progressWriter(), ProgressLine(r.in.Scenario, p)) },
		Log:      progressWriter(), // tokenizer fallback and simulator start are shown live
		Requests: func(recs []loadgen.RequestRecord) {
			if err := framework.WriteRequests(r.dir, recs); err != nil {
				fmt.Fprintf(GinkgoWriter, "tailgate: %v\n", err)
			}
		},
	})
	Expect(err).NotTo(HaveOccurred(), "preparing the %s scenario", r.in.Scenario)
	defer g.Close()
	if nr, ok := g.Runner.(*framework.NativeRunner); ok {
		nr.ProgressEvery = every
	}
	fmt.Fprintf(GinkgoWriter, "tailgate: running %s (%s) against %s, model %s; reports in %s\n",
		r.in.Scenario, describeLoad(g.Config.Load.Stages), framework.RedactURL(g.Config.Server.BaseURL), g.Config.Server.ModelName, absPath(r.dir))
	rep, err := g.Run(ctx)
	r.rep, r.runErr = rep, err
	if rep != nil {
		Expect(report.WriteDir(r.dir, rep)).To(Succeed(), "writing the report files")
		var table bytes.Buffer
		_ = rep.WriteText(&table)
		AddReportEntry("tailgate report", table.String())
		fmt.Fprintf(GinkgoWriter, "tailgate: report files written to %s\n", absPath(r.dir))
	}
	Expect(err).NotTo(HaveOccurred(), "running the %s scenario", r.in.Scenario)
	if rep.Partial {
		Fail(fmt.Sprintf("the run is partial (%s); the partial report is in %s", rep.PartialReason, absPath(r.dir)))
	}
}

func describeLoad(stages []scenarios.Stage) string {
	var parts []string
	for _, s := range stages {
		if s.ConcurrencyLevel > 0 {
			parts = append(parts, fmt.Sprintf("%d requests at concurrency %d", s.NumRequests, s.ConcurrencyLevel))
			continue
		}
		parts = append(parts, fmt.Sprintf("%g req/s for %ds", s.Rate, s.Duration))
	}
	if len(parts) == 0 {
		return "sweep"
	}
	return strings.Join(parts, ", ")
}

// ClusterRunners returns the Kubernetes Job runners (framework/cluster) by
// name: inference-perf-job runs inference-perf's image, native-job the
// tailgate image. Each sets up its cluster from the TAILGATE_* cluster
// variables when first used and tears it down after the suite's specs. With
// TAILGATE_DEPLOY_SIMULATED_VLLM=true the simulated vLLM deployed in the
// cluster becomes the target when TAILGATE_TARGET_URL is unset.
func ClusterRunners() map[string]framework.RunnerFactory {
	mk := func(engine cluster.Engine) framework.RunnerFactory {
		return func(ctx context.Context, _ framework.Settings) (framework.Runner, error) {
			env, err := cluster.SetupJobRunner(ctx, engine, os.Getenv, GinkgoWriter)
			if err != nil {
				return nil, err
			}
			DeferCleanup(func(ctx SpecContext) error { return env.Teardown(ctx) }, NodeTimeout(5*time.Minute))
			if env.Simulated != nil {
				return clusterTarget{JobRunner: env.Runner, url: env.Simulated.URL}, nil
			}
			return env.Runner, nil
		}
	}
	return map[string]framework.RunnerFactory{
		framework.RunnerInferencePerfJob: mk(cluster.EngineInferencePerf),
		framework.RunnerNativeJob:        mk(cluster.EngineNative),
	}
}

// clusterTarget is a Job runner whose target is the simulated vLLM it deployed.
type clusterTarget struct {
	*cluster.JobRunner
	url string
}

// TargetURL implements framework.TargetProvider.
func (c clusterTarget) TargetURL() string { return c.url }

// progressWriter is GinkgoWriter in verbose runs (where it streams) and the
// process's stderr otherwise, so a long load shows signs of life either way.
func progressWriter() io.Writer {
	_, rc := GinkgoConfiguration()
	if rc.Verbose || rc.VeryVerbose {
		return GinkgoWriter
	}
	return os.Stderr
}

// ProgressLine renders a progress snapshot for the console.
func ProgressLine(name string, p loadgen.Progress) string {
	return "tailgate " + name + ": " + p.String()
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// writeSuiteReports writes junit.xml and summary.md into the report
// directory and appends the summary to $GITHUB_STEP_SUMMARY when set.
func (r *run) writeSuiteReports(rep types.Report) {
	if r.dir == "" {
		return
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "tailgate: %v\n", err)
		return
	}
	junit := filepath.Join(r.dir, "junit.xml")
	if err := reporters.GenerateJUnitReport(rep, junit); err != nil {
		fmt.Fprintf(os.Stderr, "tailgate: writing %s: %v\n", junit, err)
	}
	var md bytes.Buffer
	r.summary(&md, rep)
	summary := filepath.Join(r.dir, "summary.md")
	if err := os.WriteFile(summary, md.Bytes(), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "tailgate: writing %s: %v\n", summary, err)
	}
	if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			_, _ = f.Write(md.Bytes())
			_ = f.Close()
		}
	}
	fmt.Fprintf(os.Stdout, "tailgate: JUnit %s, summary %s\n", absPath(junit), absPath(summary))
}

// summary renders the suite's verdict, one row per promise, and the report tables.
func (r *run) summary(w io.Writer, rep types.Report) {
	verdict := "PASSED"
	if !rep.SuiteSucceeded {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "## tailgate %s gate: %s\n\n", r.in.Scenario, verdict)
	if r.sla.Source != "" {
		fmt.Fprintf(w, "SLA: `%s`\n\n", r.sla.Source)
	}
	fmt.Fprintln(w, "| promise | result | detail |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, s := range rep.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		detail := ""
		if s.State.Is(types.SpecStateFailureStates) {
			detail = s.Failure.Message
			if s.Failure.FailureNodeType == types.NodeTypeBeforeAll {
				detail = "run failed: " + detail
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", mdCell(s.LeafNodeText), s.State, mdCell(detail))
	}
	fmt.Fprintln(w)
	if r.rep != nil {
		_ = r.rep.WriteMarkdown(w)
		_ = report.WriteMermaidTTFT(w, r.rep, nil) // TTFT P99 over time; pass the verdicts to draw the SLA line
	}
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "<br>")
}
