package matchers_test

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

const regressionSLA = `latency:
  ttft: {p99: 1200ms}
regression:
  baseline: ../baselines/production
  confidence: 95%
  latency:
    ttft: {p99: 10%}
    itl:  {p99: 10%}
  error_rate: +0.5%
  throughput: -5%
`

var _ = Describe("The SLA file's regression block", func() {
	var slaPath, baseDir string
	BeforeEach(func() {
		root := GinkgoT().TempDir()
		baseDir = filepath.Join(root, "baselines", "production")
		Expect(os.MkdirAll(baseDir, 0o755)).To(Succeed())
		Expect(report.WriteDir(baseDir, simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 1))).To(Succeed())
		Expect(os.MkdirAll(filepath.Join(root, "sla"), 0o755)).To(Succeed())
		slaPath = filepath.Join(root, "sla", "production.yaml")
		Expect(os.WriteFile(slaPath, []byte(regressionSLA), 0o644)).To(Succeed())
	})

	It("makes each line its own promise against the baseline next to the SLA file", func() {
		sla, err := matchers.LoadSLA(slaPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(sla.Regression.Baseline).To(Equal(baseDir))
		ps := sla.RegressionPromises("")
		names := []string{}
		for _, p := range ps {
			names = append(names, p.Name)
		}
		Expect(names).To(Equal([]string{"TTFT p99 within +10% of the baseline", "ITL p99 within +10% of the baseline",
			"error rate within +0.5 points of the baseline", "throughput within -5% of the baseline"}))

		unchanged := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 2)
		for _, p := range ps {
			Expect(unchanged).To(p.Matcher, "%s", p.Name)
		}
		slowed := simulated(slowedTTFT(1.3), 120*time.Second, 2)
		ok, err := ps[0].Matcher.Match(slowed)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(ps[0].Matcher.FailureMessage(slowed)).To(MatchRegexp(`^TTFT p99 = \d+ ms vs baseline \d+ ms: \+\d+\.\d% \(95% CI`))
	})

	It("takes the baseline from the override (TAILGATE_BASELINE) and refuses when there is none", func() {
		sla, err := matchers.LoadSLA(slaPath)
		Expect(err).NotTo(HaveOccurred())
		missing := filepath.Join(GinkgoT().TempDir(), "nothing-here")
		p := sla.RegressionPromises(missing)[0]
		_, err = p.Matcher.Match(simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 2))
		Expect(errors.Is(err, matchers.ErrInconclusive)).To(BeTrue())
		Expect(err).To(MatchError(ContainSubstring("baseline " + missing)))
	})

	DescribeTable("names the key and the fix for a bad regression block",
		func(block, want string) {
			_, err := matchers.ParseSLA([]byte("regression:\n"+block), "sla.yaml")
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("a throughput rise", "  baseline: b\n  throughput: +5%\n", "regression.throughput: a tolerance of +5% allows an improvement only; write a percentage such as -5%"),
		Entry("no percent sign", "  baseline: b\n  latency: {ttft: {p99: 0.1}}\n", `regression.latency.ttft.p99: want a percentage such as 10% or +0.5%, got "0.1"`),
		Entry("an unknown key", "  baseline: b\n  lateny: {}\n", "unknown key regression.lateny (did you mean latency?)"),
		Entry("no promise", "  baseline: b\n", "the regression block promises nothing"),
	)
})
