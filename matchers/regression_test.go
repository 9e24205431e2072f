package matchers_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/study"
	"github.com/tailgate-dev/tailgate/matchers"
)

func simulated(p mockvllm.Profile, d time.Duration, seed uint64) *report.Report {
	r, err := study.Run(p, study.Production(d, seed))
	Expect(err).NotTo(HaveOccurred())
	return r
}

func slowedTTFT(f float64) mockvllm.Profile {
	p := mockvllm.Qwen3_8B_H100()
	p.FrontendDelay = time.Duration(float64(p.FrontendDelay) * f)
	p.StepBase = time.Duration(float64(p.StepBase) * f)
	p.PerPrefillToken = time.Duration(float64(p.PerPrefillToken) * f)
	return p
}

var _ = Describe("Regression matchers against a baseline run", func() {
	var base *report.Report
	BeforeEach(func() { base = simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 1) })

	It("pass two runs of an unchanged server, in default and strict mode", func() {
		cand := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 2)
		for _, m := range []*matchers.RegressionMatcher{
			matchers.HaveNoRegressionFrom(base, report.TTFT, 99, 0.10),
			matchers.HaveNoRegressionFrom(base, report.ITL, 99, 0.10),
			matchers.HaveNoRegressionFrom(base, report.TTFT, 50, 0.10).Strict(),
			matchers.HaveNoErrorRateRiseFrom(base, 0.005),
			matchers.HaveNoThroughputDropFrom(base, 0.05),
		} {
			Expect(cand).To(m)
		}
	})

	It("fail a slowed server with both figures, the interval and the tolerance", func() {
		cand := simulated(slowedTTFT(1.3), 120*time.Second, 2)
		m := matchers.HaveNoRegressionFrom(base, report.TTFT, 99, 0.10)
		ok, err := m.Match(cand)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		r := m.Result()
		Expect(r.Low).To(BeNumerically(">", 0.10))
		Expect(r.Change).To(BeNumerically(">", r.Low))
		Expect(r.High).To(BeNumerically(">", r.Change))
		Expect(m.FailureMessage(cand)).To(MatchRegexp(
			`^TTFT p99 = \d+ ms vs baseline \d+ ms: \+\d+\.\d% \(95% CI \+\d+\.\d%…\+\d+\.\d%\), tolerance \+10%`))
	})

	It("in strict mode fails a run too noisy to show the change is within a tight tolerance", func() {
		cand := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 1) // the very same run: no change at all
		ok, err := matchers.HaveNoRegressionFrom(base, report.TTFT, 99, 0.01).Strict().Match(cand)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		ok, err = matchers.HaveNoRegressionFrom(base, report.TTFT, 99, 0.01).Match(cand)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue(), "the default mode fails only a significant regression")
	})

	It("fail a rise of the error rate beyond the tolerance", func() {
		cand := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 2)
		cand.Summary.Failures, cand.Summary.Successes = 100, cand.Summary.Successes-100
		m := matchers.HaveNoErrorRateRiseFrom(base, 0.005)
		Expect(m.Match(cand)).To(BeFalse())
		Expect(m.FailureMessage(cand)).To(HavePrefix("error rate = 5.56% vs baseline 0.00%: +5.56 points"))
	})

	It("fail a throughput drop beyond the tolerance", func() {
		cand := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 2)
		cand.Summary.Throughput.RequestsPerSec *= 0.8
		m := matchers.HaveNoThroughputDropFrom(base, 0.05)
		Expect(m.Match(cand)).To(BeFalse())
		Expect(m.FailureMessage(cand)).To(ContainSubstring("tolerance -5%"))
	})

	DescribeTable("refuse, naming the difference, runs that are not the same experiment",
		func(change func(b, c *report.Report) *matchers.RegressionMatcher, want string) {
			cand := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 2)
			m := change(base, cand)
			ok, err := m.Match(cand)
			Expect(ok).To(BeFalse())
			Expect(errors.Is(err, matchers.ErrInconclusive)).To(BeTrue(), "%v", err)
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("another rate", func(b, c *report.Report) *matchers.RegressionMatcher {
			c.Stages[0].RequestedRate, c.Summary.RequestedRate = 20, 20
			c.Stages[0].AchievedRate, c.Summary.AchievedRate = 20, 20
			return matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.1)
		}, "stage 0 requested 15 req/s in the baseline, 20 req/s in the candidate"),
		Entry("another stage count", func(b, c *report.Report) *matchers.RegressionMatcher {
			c.Stages = append(c.Stages, c.Stages[0])
			c.Stages[1].ID = 1
			return matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.1)
		}, "the baseline has 1 stages, the candidate 2"),
		Entry("no streaming", func(b, c *report.Report) *matchers.RegressionMatcher {
			delete(c.Summary.Distributions, report.TTFT)
			return matchers.HaveNoRegressionFrom(b, report.ITL, 99, 0.1)
		}, "TTFT (streaming) in the baseline only"),
		Entry("other output lengths (ignore_eos off)", func(b, c *report.Report) *matchers.RegressionMatcher {
			b.Summary.Distributions[report.OutputTokens] = tokens(512, 1000)
			c.Summary.Distributions[report.OutputTokens] = tokens(300, 1000)
			return matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.1)
		}, "output lengths (the length distribution or ignore_eos differ) 512 tokens in the baseline, 300"),
		Entry("another model", func(b, c *report.Report) *matchers.RegressionMatcher {
			return matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.1).WithExperiments(
				matchers.Experiment{Model: "Qwen/Qwen3-8B"}, matchers.Experiment{Model: "meta-llama/Llama-3.1-8B"})
		}, `model "Qwen/Qwen3-8B" in the baseline, "meta-llama/Llama-3.1-8B" in the candidate`),
		Entry("a partial candidate", func(b, c *report.Report) *matchers.RegressionMatcher {
			c.Partial, c.PartialReason = true, "interrupted after stage 0"
			return matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.1)
		}, "candidate: load not delivered or run incomplete, refusing to compare: partial report: interrupted after stage 0"),
		Entry("a baseline with percentiles only", func(b, c *report.Report) *matchers.RegressionMatcher {
			s := &report.Stats{N: b.Summary.Distributions[report.TTFT].Count(), MeanV: 0.12, MinV: 0.05, MaxV: 0.5,
				Points: map[float64]float64{50: 0.1, 90: 0.15, 95: 0.18, 99: 0.2}}
			b.Summary.Distributions[report.TTFT] = s
			return matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.1)
		}, "the baseline holds percentiles only (no .hlog histograms): the point change is"),
		Entry("a baseline whose P99 is a failed request", func(b, c *report.Report) *matchers.RegressionMatcher {
			b.Summary.Failures = 100
			return matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.1)
		}, "the baseline's p99 falls on its failed requests (100 failed)"),
		Entry("too short a run, even in strict mode", func(b, c *report.Report) *matchers.RegressionMatcher {
			short := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 3)
			h := report.NewHistogram()
			for i := range 500 {
				h.Record(0.1 + float64(i)*1e-4)
			}
			short.Summary.Distributions[report.TTFT] = h
			*c = *short
			return matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.1).Strict()
		}, "too short a run: 1800 baseline and 500 candidate samples, need >= 1000"),
	)
})

func tokens(v float64, n int) *report.Histogram {
	h := report.NewHistogram(report.KindTokens)
	for range n {
		h.Record(v)
	}
	return h
}
