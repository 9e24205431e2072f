package gate_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework"
)

type junitSuites struct {
	Suites []struct {
		Cases []junitCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitCase struct {
	Name    string `xml:"name,attr"`
	Status  string `xml:"status,attr"`
	Failure *struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	} `xml:"failure"`
	Skipped *struct{} `xml:"skipped"`
}

// The production suite, compiled once and run as CI runs it: a test binary
// configured by TAILGATE_* variables, judged by its exit code and JUnit file.
var _ = Describe("the production suite binary", Ordered, func() {
	var bin, suiteDir string

	BeforeAll(func(ctx SpecContext) {
		root, err := filepath.Abs("../..")
		Expect(err).NotTo(HaveOccurred())
		suiteDir = filepath.Join(root, "suites", "production")
		bin = filepath.Join(GinkgoT().TempDir(), "production.test")
		build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./suites/production")
		build.Dir = root
		out, err := build.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
	}, NodeTimeout(5*time.Minute))

	// fastTarget is a fixed-timing simulator serving the production model, so a
	// request of the preset's lengths finishes within about four seconds.
	fastTarget := func(ctx context.Context) string {
		prof := mockvllm.FixedProfile(20*time.Millisecond, 2*time.Millisecond)
		sim, err := mockvllm.Start(ctx, mockvllm.Options{Model: "qwen3-8b", CustomProfile: &prof})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sim.Close)
		return sim.URL()
	}

	suiteCmd := func(reportDir string, env ...string) *exec.Cmd {
		cmd := exec.Command(bin, "-ginkgo.v")
		cmd.Dir = suiteDir
		cmd.Env = append(os.Environ(), framework.EnvReportDir+"="+reportDir)
		cmd.Env = append(cmd.Env, env...)
		return cmd
	}

	It("fails on an invalid setting, and JUnit says which", func() {
		dir := GinkgoT().TempDir()
		s, err := gexec.Start(suiteCmd(dir, framework.EnvRate+"=fast"), GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s).WithTimeout(time.Minute).Should(gexec.Exit())
		Expect(s.ExitCode()).NotTo(Equal(0))

		data, err := os.ReadFile(filepath.Join(dir, "production", "junit.xml"))
		Expect(err).NotTo(HaveOccurred(), "the JUnit file is written even when the settings are invalid")
		var j junitSuites
		Expect(xml.Unmarshal(data, &j)).To(Succeed())
		var failures []string
		for _, c := range j.Suites[0].Cases {
			if c.Failure != nil {
				failures = append(failures, c.Name+": "+c.Failure.Message)
			}
		}
		Expect(failures).To(ContainElement(ContainSubstring(`TAILGATE_RATE="fast"`)))
	})

	It("fails on an SLA it cannot meet, and JUnit shows exactly that promise with the measured value", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		sla := filepath.Join(dir, "sla.yaml")
		// 120 requests: one sample above P99 (min_tail_samples: 1). The load
		// bounds are relaxed because this test is about the report, and the
		// machines running it are shared.
		Expect(os.WriteFile(sla, []byte(`min_tail_samples: 1
latency:
  ttft: {p99: 1ms}
error_rate: 1%
load: {max_schedule_lag_p50: 100ms, max_schedule_lag_p99: 2s}
`), 0o644)).To(Succeed())
		cmd := suiteCmd(dir,
			framework.EnvTargetURL+"="+fastTarget(ctx), framework.EnvSLA+"="+sla,
			framework.EnvDuration+"=3s", framework.EnvRate+"=40")
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s).WithTimeout(2 * time.Minute).Should(gexec.Exit())
		Expect(s.ExitCode()).NotTo(Equal(0))

		data, err := os.ReadFile(filepath.Join(dir, "production", "junit.xml"))
		Expect(err).NotTo(HaveOccurred())
		var j junitSuites
		Expect(xml.Unmarshal(data, &j)).To(Succeed())
		Expect(j.Suites).To(HaveLen(1))
		var failed, passed []junitCase
		for _, c := range j.Suites[0].Cases {
			switch {
			case c.Failure != nil:
				failed = append(failed, c)
			case c.Status == "passed":
				passed = append(passed, c)
			}
		}
		Expect(failed).To(HaveLen(1), "exactly one promise breaks")
		Expect(failed[0].Name).To(ContainSubstring("TTFT p99 < 1ms"))
		Expect(failed[0].Failure.Message).To(MatchRegexp(`p99.*\d+(\.\d+)?ms`), "the measured value is in the message")
		var names []string
		for _, c := range passed {
			names = append(names, c.Name)
		}
		Expect(strings.Join(names, ";")).To(And(ContainSubstring("load delivered"), ContainSubstring("error rate < 1%")))

		summary, err := os.ReadFile(filepath.Join(dir, "production", "summary.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(summary)).To(And(ContainSubstring("FAILED"), ContainSubstring("TTFT p99 < 1ms")))
		Expect(filepath.Join(dir, "production", "summary_lifecycle_metrics.json")).To(BeAnExistingFile())
	}, SpecTimeout(3*time.Minute))

	It("leaves a partial report and exits non-zero on Ctrl-C", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		cmd := suiteCmd(dir, framework.EnvTargetURL+"="+fastTarget(ctx), framework.EnvDuration+"=60s", framework.EnvRate+"=20")
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s.Out).WithTimeout(time.Minute).Should(gbytes.Say(`tailgate production: stage 1/1`))
		s.Signal(syscall.SIGINT)
		Eventually(s).WithTimeout(time.Minute).Should(gexec.Exit())
		Expect(s.ExitCode()).NotTo(Equal(0))

		data, err := os.ReadFile(filepath.Join(dir, "production", "summary_lifecycle_metrics.json"))
		Expect(err).NotTo(HaveOccurred())
		var summary struct {
			LoadSummary struct {
				Count int `json:"count"`
			} `json:"load_summary"`
			Tailgate struct {
				Partial bool `json:"partial"`
			} `json:"tailgate"`
		}
		Expect(json.Unmarshal(data, &summary)).To(Succeed())
		Expect(summary.Tailgate.Partial).To(BeTrue())
		Expect(summary.LoadSummary.Count).To(BeNumerically(">", 0))
		Expect(summary.LoadSummary.Count).To(BeNumerically("<", 1200))
		Expect(filepath.Join(dir, "production", "junit.xml")).To(BeAnExistingFile())
	}, SpecTimeout(3*time.Minute))
})
