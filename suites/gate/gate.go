// Package gate is the Ginkgo glue every tailgate suite shares: it runs a
// scenario once per suite through framework.RunPipeline (the pipeline
// `tailgate run` uses too), and turns each promise of the suite's SLA into
// its own spec, so JUnit has one testcase per promise: a kept promise shows
// its measured value and headroom, a broken one is a failure, one the
// evidence cannot decide an error. The report directory gets the report
// files, junit.xml, summary.md and verdict.json.
package gate

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
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
	// Flags are the suite's -tailgate.* flags (RegisterFlags); their
	// registry offers the runners.
	Flags *framework.Flags
	// ProgressEvery is the interval of the progress line; 0 means 5 s.
	ProgressEvery time.Duration
}

// Declare declares the gate: an Ordered container whose BeforeAll runs the
// scenario through framework.RunPipeline (which judges every promise and
// saves the report directory, junit.xml and summary.md), then one It per SLA
// promise (the implied ones first) and one saying whether the evidence was
// saved. A kept promise's It prints its measured value; a broken one fails;
// one that could not be judged panics with an Inconclusive value, so Ginkgo's
// own JUnit report shows it as <error> rather than <failure>. Call it once, at
// the top level of the suite: var _ = gate.Declare(gate.Input{...}).
func Declare(in Input) bool {
	return Describe(fmt.Sprintf("%s gate", in.Scenario), Ordered, ContinueOnFailure, Label("gate", in.Scenario), func() {
		settings, err := in.Flags.Settings()
		// The report directory is known even when another setting is invalid,
		// so that failure still reaches junit.xml and summary.md.
		dir := filepath.Join(settings.ReportDirOr(DefaultReportDir), in.Scenario)
		if err != nil {
			declareRefusal(in.Scenario, dir, "has valid settings", err)
			return
		}
		sla := framework.NoSLA()
		if path := cmp.Or(settings.SLA, in.SLAFile); path != "" {
			if sla, err = matchers.LoadSLA(path); err != nil {
				declareRefusal(in.Scenario, dir, "has a valid SLA file", err)
				return
			}
		}
		sla = sla.WithBaseline(settings.Baseline)
		var j *framework.Judgement
		BeforeAll(func(ctx SpecContext) {
			j = runPipeline(ctx, in, settings, sla, dir)
		}, NodeTimeout(24*time.Hour))
		names := []string{}
		for _, p := range sla.Promises() {
			names = append(names, p.Name)
		}
		for _, name := range append(names, framework.EvidencePromise) {
			It(name, func() { expectVerdict(j, name) })
		}
	})
}

func runPipeline(ctx context.Context, in Input, s framework.Settings, sla matchers.SLA, dir string) *framework.Judgement {
	cfg, err := framework.LoadScenario(in.Scenario, "", "")
	Expect(err).NotTo(HaveOccurred())
	j := framework.RunPipeline(ctx, framework.PipelineInput{
		Name: in.Scenario, Settings: s, Scenario: cfg, SLA: sla, Runners: in.Flags.Registry(), Dir: dir,
		Log: progressWriter(), ProgressEvery: in.ProgressEvery,
	})
	fmt.Fprintf(GinkgoWriter, "tailgate: %s\n", j.Headline())
	for _, a := range j.Advice {
		fmt.Fprintf(GinkgoWriter, "tailgate: change: %s\n", a)
	}
	return j
}

// expectVerdict turns a promise's verdict into the spec's result.
func expectVerdict(j *framework.Judgement, name string) {
	if j == nil {
		Fail("no judgement: the run did not happen")
	}
	v, ok := j.Verdict(name)
	if !ok {
		Fail(fmt.Sprintf("%q was not judged", name))
	}
	if v.Measured != "" {
		fmt.Fprintf(GinkgoWriter, "%s: %s\n", v.Promise, v.Measured)
	}
	switch v.Outcome {
	case report.Pass:
	case report.Fail:
		Fail(v.Message)
	default:
		panic(Inconclusive{Promise: v.Promise, Message: v.Message})
	}
}

// Inconclusive is the panic value of a promise the evidence could not decide.
// Ginkgo records a panicking spec as an <error> in its JUnit report, apart
// from the <failure> of a broken promise.
type Inconclusive struct {
	Promise, Message string
}

// String says that the promise was not judged, and why.
func (i Inconclusive) String() string {
	return "INCONCLUSIVE (not a failure of the release: the evidence cannot decide): " + i.Message
}

// declareRefusal declares the one spec of a suite that cannot run, and saves
// its verdict as junit.xml and summary.md.
func declareRefusal(scenario, dir, name string, err error) {
	It(name, func() {
		j := &framework.Judgement{Name: scenario, Dir: dir, Outcome: report.Fail,
			Verdicts: []report.Verdict{{Promise: name, Outcome: report.Fail, Message: err.Error()}}}
		if werr := report.WriteFiles(dir, j.Files()...); werr != nil {
			fmt.Fprintf(GinkgoWriter, "tailgate: %v\n", werr)
		}
		Fail(err.Error())
	})
}

// Runners returns the runners a suite offers: the native engine and the
// Kubernetes Job runners of framework/cluster (inference-perf-job,
// native-job), which set up their cluster from the cluster settings when the
// run starts and tear it down when it ends.
func Runners() *framework.Registry {
	reg := framework.NewRegistry()
	cluster.Register(reg)
	return reg
}

// RegisterFlags binds the -tailgate.* flags of the settings and of every
// runner's settings (Runners) on fs; each defaults to its TAILGATE_*
// variable. A suite passes flag.CommandLine, which its test binary parses.
func RegisterFlags(fs *flag.FlagSet) *framework.Flags {
	return Runners().RegisterFlags(fs)
}

// progressWriter is GinkgoWriter in verbose runs (where it streams) and the
// process's stderr otherwise, so a long load shows signs of life either way.
func progressWriter() io.Writer {
	_, rc := GinkgoConfiguration()
	if rc.Verbose || rc.VeryVerbose {
		return GinkgoWriter
	}
	return os.Stderr
}
