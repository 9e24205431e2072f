package matchers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	. "github.com/tailgate-dev/tailgate/matchers"
)

var _ = Describe("InEveryStage", func() {
	It("judges each stage and lists every failing one", func() {
		r := readReport("crafted-v0.6")
		Expect(r).To(InEveryStage(HaveP99TTFTBelow(300 * time.Millisecond)))
		m := InEveryStage(HaveP99TTFTBelow(200 * time.Millisecond))
		Expect(m.Match(r)).To(BeFalse())
		Expect(m.FailureMessage(r)).To(Equal("2 of 2 stages failed:\n" +
			"  - stage 0 time_to_first_token p99 = 255.4ms, want < 200ms (over by 55.43ms, +27.7%); n=1200; p95=197.8ms p99.9=335.2ms; no confidence interval (report-file data)\n" +
			"  - stage 1 time_to_first_token p99 = 255.4ms, want < 200ms (over by 55.43ms, +27.7%); n=2400; p95=197.8ms p99.9=335.2ms; no confidence interval (report-file data)"))
	})

	It("refuses the stages of the real sweep the generator could not keep up with", func() {
		r := readReport("vllm-v0.11-llama3-8b-h100")
		_, err := InEveryStage(HaveP50TTFTBelow(10 * time.Second)).Match(r)
		Expect(err).To(MatchError(HavePrefix("3 of 7 stages could not be judged:\n  - stage 4: time_to_first_token p50: load not delivered")))
	})

	It("judges the stages of a partial report as partial", func() {
		r := readReport("crafted-v0.6")
		r.Partial = true
		_, err := InEveryStage(HaveP50TTFTBelow(time.Second)).Match(r)
		Expect(err).To(MatchError(ContainSubstring("stage 0: time_to_first_token p50: load not delivered, refusing to judge: stage 0: partial (the run was cut short)")))
		_, err = InEveryStage(HaveP50TTFTBelow(time.Second)).Match(report.Stage{})
		Expect(err).To(MatchError("InEveryStage wants a *report.Report, got report.Stage"))
	})
})
