package main

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/study"
)

// simulatedDir writes a 120 s virtual-time production run against p into a new directory.
func simulatedDir(p mockvllm.Profile, seed uint64) string {
	r, err := study.Run(p, study.Production(120*time.Second, seed))
	Expect(err).NotTo(HaveOccurred())
	dir := GinkgoT().TempDir()
	Expect(report.WriteDir(dir, r)).To(Succeed())
	return dir
}

var _ = Describe("tailgate report --compare judges regressions", func() {
	var base string
	BeforeEach(func() { base = simulatedDir(mockvllm.Qwen3_8B_H100(), 1) })

	It("exits 0 when an unchanged server is compared with its baseline", func() {
		code, out, errOut := runReportCmd("--compare", base, simulatedDir(mockvllm.Qwen3_8B_H100(), 2))
		Expect(code).To(Equal(0), "%s%s", out, errOut)
		Expect(out).To(MatchRegexp(`PASS\s+TTFT p99 within \+10% of the baseline: TTFT p99 = \d+ ms vs baseline \d+ ms`))
	})

	It("exits 1 with the message when the server got slower", func() {
		slow := mockvllm.Qwen3_8B_H100()
		slow.FrontendDelay = slow.FrontendDelay * 13 / 10
		slow.StepBase = slow.StepBase * 13 / 10
		slow.PerPrefillToken = slow.PerPrefillToken * 13 / 10
		code, out, _ := runReportCmd("--compare", base, simulatedDir(slow, 2))
		Expect(code).To(Equal(1), "%s", out)
		Expect(out).To(MatchRegexp(`FAIL\s+TTFT p99 within \+10% of the baseline: TTFT p99 = \d+ ms vs baseline \d+ ms: \+\d+\.\d% \(95% CI \+\d+\.\d%…\+\d+\.\d%\), tolerance \+10%`))
	})

	It("judges the SLA file's regression block with --sla, BASE standing for its baseline", func() {
		sla := filepath.Join(GinkgoT().TempDir(), "sla.yaml")
		Expect(os.WriteFile(sla, []byte("regression:\n  baseline: elsewhere\n  strict: true\n  latency:\n    ttft: {p99: 1%}\n"), 0o644)).To(Succeed())
		code, out, _ := runReportCmd("--sla", sla, "--compare", base, base)
		Expect(code).To(Equal(1), "%s", out)
		Expect(out).To(ContainSubstring("FAIL          TTFT p99 within +1% of the baseline"))
		Expect(out).To(ContainSubstring("strict: the data do not show the change is within the tolerance"))
		Expect(out).NotTo(ContainSubstring("error rate within"))
	})

	It("refuses an SLA file without a regression block", func() {
		sla := filepath.Join(GinkgoT().TempDir(), "sla.yaml")
		Expect(os.WriteFile(sla, []byte("latency: {ttft: {p99: 1s}}\n"), 0o644)).To(Succeed())
		code, _, errOut := runReportCmd("--sla", sla, "--compare", base, base)
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("has no regression block"))
	})
})
