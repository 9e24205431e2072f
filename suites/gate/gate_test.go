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
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
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
	Error *struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	} `xml:"error"`
	Skipped   *struct{} `xml:"skipped"`
	SystemOut string    `xml:"system-out"`
	SystemErr string    `xml:"system-err"`
}

// readJUnit parses a JUnit file after checking it against the Jenkins xunit
// plugin's schema with xmllint.
func readJUnit(path string) []junitCase {
	GinkgoHelper()
	out, err := exec.Command("xmllint", "--noout", "--schema", filepath.Join("testdata", "junit-10.xsd"), path).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s does not validate against junit-10.xsd:\n%s", path, out)
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var j junitSuites
	Expect(xml.Unmarshal(data, &j)).To(Succeed())
	Expect(j.Suites).To(HaveLen(1))
	return j.Suites[0].Cases
}

// byName indexes the testcases whose name contains one of names.
func byName(cases []junitCase, names ...string) map[string]junitCase {
	out := map[string]junitCase{}
	for _, c := range cases {
		for _, n := range names {
			if strings.Contains(c.Name, n) {
				out[n] = c
			}
		}
	}
	return out
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
		cmd := exec.Command(bin, "-ginkgo.v", "-ginkgo.junit-report="+filepath.Join(reportDir, "ginkgo-junit.xml"))
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
		slaPath := filepath.Join(dir, "sla.yaml")
		sla := slaPath
		// 120 requests: one sample above P99 (min_tail_samples: 1). The load
		// bounds are relaxed because this test is about the report, and the
		// machines running it are shared.
		Expect(os.WriteFile(sla, []byte(`min_tail_samples: 1
latency:
  ttft: {p99: 1ms, p50: 10s}
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

		gateJUnit := readJUnit(filepath.Join(dir, "production", "junit.xml"))
		var failed, passed []junitCase
		for _, c := range gateJUnit {
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
		Expect(strings.Join(names, ";")).To(And(ContainSubstring("load delivered"), ContainSubstring("error rate < 1%"), ContainSubstring("TTFT p50 < 10s")))
		kept := byName(passed, "TTFT p50 < 10s")["TTFT p50 < 10s"]
		Expect(kept.SystemOut).To(MatchRegexp(`TTFT p50 < 10s: \d+(\.\d+)?ms, \d+% under`), "a kept promise shows its measured value and headroom")

		By("Ginkgo's own JUnit report validates too and tells the same story")
		ginkgoJUnit := byName(readJUnit(filepath.Join(dir, "ginkgo-junit.xml")), "TTFT p99 < 1ms", "TTFT p50 < 10s", "error rate < 1%")
		Expect(ginkgoJUnit["TTFT p99 < 1ms"].Failure).NotTo(BeNil())
		Expect(ginkgoJUnit["TTFT p50 < 10s"].Status).To(Equal("passed"))
		Expect(ginkgoJUnit["TTFT p50 < 10s"].SystemErr).To(MatchRegexp(`TTFT p50 < 10s: \d+(\.\d+)?ms, \d+% under`))

		By("judging the saved report again gives the suite's verdicts")
		rep, err := report.ReadDir(filepath.Join(dir, "production"))
		Expect(err).NotTo(HaveOccurred())
		judged, err := matchers.LoadSLA(slaPath)
		Expect(err).NotTo(HaveOccurred())
		for _, v := range framework.Judge(judged, rep, scenarios.Production()) {
			c := byName(gateJUnit, v.Promise)[v.Promise]
			Expect(c.Status).To(Equal(map[report.Outcome]string{report.Pass: "passed", report.Fail: "fail", report.Inconclusive: "inconclusive"}[v.Outcome]), v.Promise)
		}

		summary, err := os.ReadFile(filepath.Join(dir, "production", "summary.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(summary)).To(And(ContainSubstring("gate: FAIL"), ContainSubstring("TTFT p99 < 1ms"), MatchRegexp(`\| TTFT p50 < 10s \| PASS \| \d+(\.\d+)?ms, \d+% under`)))
		Expect(filepath.Join(dir, "production", "summary_lifecycle_metrics.json")).To(BeAnExistingFile())
	}, SpecTimeout(3*time.Minute))

	It("is inconclusive, not failed, when the load was not delivered: <error> in both JUnit files", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		sla := filepath.Join(dir, "sla.yaml")
		// No generator sends within a nanosecond of its schedule.
		Expect(os.WriteFile(sla, []byte("latency:\n  ttft: {p50: 10s}\nload: {max_schedule_lag_p50: 1ns}\n"), 0o644)).To(Succeed())
		cmd := suiteCmd(dir, framework.EnvTargetURL+"="+fastTarget(ctx), framework.EnvSLA+"="+sla,
			framework.EnvDuration+"=2s", framework.EnvRate+"=20")
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s).WithTimeout(2 * time.Minute).Should(gexec.Exit())
		Expect(s.ExitCode()).NotTo(Equal(0), "inconclusive blocks the release")

		for _, file := range []string{filepath.Join(dir, "production", "junit.xml"), filepath.Join(dir, "ginkgo-junit.xml")} {
			cases := byName(readJUnit(file), "load delivered", "TTFT p50 < 10s")
			Expect(cases).To(HaveLen(2), file)
			for name, c := range cases {
				Expect(c.Failure).To(BeNil(), "%s in %s is not a broken promise", name, file)
				Expect(c.Error).NotTo(BeNil(), "%s in %s", name, file)
				Expect(c.Error.Message + c.Error.Text).To(ContainSubstring("schedule delay"))
			}
		}
		data, err := os.ReadFile(filepath.Join(dir, "production", "verdict.json"))
		Expect(err).NotTo(HaveOccurred())
		var verdict struct {
			Outcome  string `json:"outcome"`
			ExitCode int    `json:"exit_code"`
		}
		Expect(json.Unmarshal(data, &verdict)).To(Succeed())
		Expect(verdict.Outcome).To(Equal("inconclusive"))
		Expect(verdict.ExitCode).To(Equal(framework.ExitInconclusive))
		summary, err := os.ReadFile(filepath.Join(dir, "production", "summary.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(summary)).To(And(ContainSubstring("gate: INCONCLUSIVE"), ContainSubstring("What to change"), ContainSubstring("quieter runner")))
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

	It("make gate's script exits 3 for inconclusive (retried once when asked) and 1 for a broken promise", func(ctx SpecContext) {
		root, err := filepath.Abs("../..")
		Expect(err).NotTo(HaveOccurred())
		target := fastTarget(ctx)
		gateScript := func(sla string) (*gexec.Session, int) {
			dir := GinkgoT().TempDir()
			path := filepath.Join(dir, "sla.yaml")
			Expect(os.WriteFile(path, []byte(sla), 0o644)).To(Succeed())
			cmd := exec.Command("bash", "hack/gate-suites.sh", "production")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), framework.EnvReportDir+"="+dir, framework.EnvTargetURL+"="+target, framework.EnvSLA+"="+path,
				framework.EnvDuration+"=2s", framework.EnvRate+"=20", "TAILGATE_RETRY_INCONCLUSIVE=1")
			s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			Eventually(s).WithTimeout(5 * time.Minute).Should(gexec.Exit())
			return s, s.ExitCode()
		}
		s, code := gateScript("latency:\n  ttft: {p50: 10s}\nload: {max_schedule_lag_p50: 1ns}\n")
		Expect(code).To(Equal(framework.ExitInconclusive))
		Expect(strings.Count(string(s.Err.Contents()), "inconclusive; retrying")).To(Equal(1), "retried exactly once")
		s, code = gateScript("min_tail_samples: 1\nlatency:\n  ttft: {p50: 1ms}\nload: {max_schedule_lag_p50: 100ms, max_schedule_lag_p99: 2s}\n")
		Expect(code).To(Equal(framework.ExitFail))
		Expect(string(s.Err.Contents())).NotTo(ContainSubstring("retrying"), "a broken promise is never retried")
	}, SpecTimeout(12*time.Minute))
})
