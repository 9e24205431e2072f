package matchers_test

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
	. "github.com/tailgate-dev/tailgate/matchers"
)

// The matchers on HdrHistogram data from the native engine, run against the
// simulated vLLM on loopback: strict mode is available, and the same report
// written to inference-perf files and read back loses it.
var _ = Describe("on a native engine report", Ordered, func() {
	var r *report.Report
	BeforeAll(func(ctx SpecContext) {
		srv, err := mockvllm.Start(ctx, mockvllm.Options{Model: "m", Profile: "fixed", Seed: 1})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)
		res, err := loadgen.Run(ctx, loadgen.Options{
			BaseURL: srv.URL(), Model: "m", Streaming: true, IgnoreEOS: true, Seed: 1,
			Load: loadgen.LoadConstant, Stages: []loadgen.Stage{{Rate: 200, Duration: 6 * time.Second}},
			Workers: 4, WorkerMaxConcurrency: 250, LeadIn: -1,
		})
		Expect(err).NotTo(HaveOccurred())
		r = res.Report
		Expect(r.Summary.Requests).To(BeEquivalentTo(1200))
	}, NodeTimeout(time.Minute))

	It("passes and fails on the measured TTFT, with the 95% interval printed", func() {
		Expect(r).To(HaveP99TTFTBelow(5 * time.Second).WithLoadBounds(looseBounds()))
		m := HaveP99TTFTBelow(time.Millisecond).WithLoadBounds(looseBounds())
		Expect(m.Match(r)).To(BeFalse())
		Expect(m.FailureMessage(r)).To(MatchRegexp(`^summary time_to_first_token p99 = [\d.]+ms, want < 1ms \(over by [\d.]+ms, \+[\d.]+%\); n=1200; p95=[\d.]+ms p99\.9=[\d.]+ms; 95% CI \[[\d.]+ms, [\d.]+ms\]; worst [\d.]+s at t=[\d.]+s: TTFT p99 [\d.]+ms \(n=\d+\)$`))
	})

	It("refuses the summary given on its own, whose stages' delivery it cannot show", func() {
		m := HaveP99TTFTBelow(5 * time.Second).WithLoadBounds(looseBounds())
		_, err := m.Match(r.Summary)
		Expect(err).To(MatchError(ContainSubstring("a summary pools its stages: judge the *report.Report")))
		Expect(r.Stages[0]).To(HaveP99TTFTBelow(5 * time.Second).WithLoadBounds(looseBounds()))
	})

	It("judges strictly: the interval's upper end must be under the threshold", func() {
		Expect(r).To(HaveP99TTFTBelow(5 * time.Second).Strict().WithLoadBounds(looseBounds()))
		d, _ := r.Summary.Distribution(report.TTFT)
		p99, _ := d.Percentile(99)
		m := HaveP99TTFTBelow(time.Duration(p99*float64(time.Second)) + time.Microsecond).Strict().WithLoadBounds(looseBounds())
		ok, err := m.Match(r)
		Expect(err).NotTo(HaveOccurred())
		res := m.Result()
		Expect(ok).To(Equal(res.CIHigh < res.Threshold))
		Expect(res.CILow).To(BeNumerically("<=", res.Value))
		Expect(res.CIHigh).To(BeNumerically(">=", res.Value))
	})

	It("measures latency from the scheduled send, never below latency from the actual send", func() {
		a, _ := r.Summary.Distribution(report.TTFT)
		b, ok := r.Summary.Distribution(report.TTFTFromSchedule)
		Expect(ok).To(BeTrue())
		Expect(b.Mean()).To(BeNumerically(">=", a.Mean()))
		Expect(r).To(HavePercentile(report.TTFTFromSchedule, 99, BeNumerically("<", 5*time.Second)).WithLoadBounds(looseBounds()))
	})

	It("survives WriteDir and ReadDir with its histograms; without the interval logs strict mode refuses", func() {
		dir := GinkgoT().TempDir()
		Expect(report.WriteDir(dir, r)).To(Succeed())
		back, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Stages[0].Generator).To(Equal(r.Stages[0].Generator))
		want, _ := r.Summary.Distributions[report.TTFT].Percentile(99)
		got, _ := back.Summary.Distributions[report.TTFT].Percentile(99)
		Expect(got).To(Equal(want))
		ok, err := HaveP99TTFTBelow(5 * time.Second).Strict().WithLoadBounds(looseBounds()).Match(back)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())

		logs, _ := filepath.Glob(filepath.Join(dir, "*.hlog"))
		timelines, _ := filepath.Glob(filepath.Join(dir, "*_timeline.jsonl"))
		Expect(logs).NotTo(BeEmpty())
		for _, f := range append(logs, timelines...) {
			Expect(os.Remove(f)).To(Succeed())
		}
		filesOnly, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		_, err = HaveP99TTFTBelow(5 * time.Second).Strict().WithLoadBounds(looseBounds()).Match(filesOnly)
		Expect(err).To(MatchError(ContainSubstring("strict mode needs HdrHistogram data")))
		Expect(errors.Is(err, ErrInconclusive)).To(BeTrue())
	})
})
