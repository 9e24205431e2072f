package matchers_test

import (
	"errors"
	"math"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

// blockedRun is a 600 s run of 9,000 TTFTs in 120 intervals of 5 s: 2% of
// them slow (0.5–0.6 s), the rest 0.1–0.2 s. Spread evenly, every interval
// holds its share of the slow ones; clustered, they all fall in a few
// intervals (a slow spell), so the count above P99 varies between runs far
// more than independent samples allow.
func blockedRun(clustered bool, seed int) *report.Report {
	const intervals, per = 120, 75
	tl := &report.Timeline{Start: time.Unix(1_700_000_000, 0), Interval: 5 * time.Second}
	whole := report.NewHistogram()
	slowLeft := 2 * intervals * per / 100
	for i := range intervals {
		h := report.NewHistogram()
		for j := range per {
			u := math.Mod(float64((i*per+j)*7919+seed*104729), 1000) / 1000
			v := 0.1 + 0.1*u
			slow := (!clustered && j < 2 && slowLeft > 0) || (clustered && i%12 == seed%12 && slowLeft > 0 && j < 18)
			if slow {
				v = 0.5 + 0.1*u
				slowLeft--
			}
			h.Record(v)
			whole.Record(v)
		}
		iv := report.Interval{Start: time.Duration(i) * tl.Interval, Length: tl.Interval, Sent: per, Completed: per}
		Expect(iv.SetHistogram(report.TTFT, h)).To(Succeed())
		tl.Intervals = append(tl.Intervals, iv)
	}
	delay := report.NewHistogram()
	for range intervals * per {
		delay.Record(0)
	}
	st := report.Stage{ID: 0, RequestedRate: 15, AchievedRate: 15, Requests: intervals * per, Successes: intervals * per,
		SendDuration: 600 * time.Second, Timeline: tl,
		Distributions: map[report.Metric]report.Distribution{report.TTFT: whole, report.ScheduleDelay: delay}}
	st.Throughput.RequestsPerSec = 15
	sum := st
	sum.ID = -1
	return &report.Report{Source: "blocked", Summary: sum, Stages: []report.Stage{st}}
}

var _ = Describe("The regression interval counts correlation between neighbouring requests", func() {
	width := func(m *matchers.RegressionMatcher, cand *report.Report) float64 {
		_, err := m.Match(cand)
		Expect(err).NotTo(HaveOccurred())
		r := m.Result()
		return math.Log1p(r.High) - math.Log1p(r.Low)
	}

	It("widens the interval when the tail arrives in slow spells, and not when it is spread evenly", func() {
		even := matchers.HaveNoRegressionFrom(blockedRun(false, 1), report.TTFT, 99, 0.10)
		evenWidth := width(even, blockedRun(false, 2))
		Expect(even.Result().Blocks).To(Equal([2]int{120, 120}))
		Expect(even.Result().Dispersion[0]).To(BeNumerically("<", 1.4), "exceedances spread evenly: about as variable as independent samples (the estimate has 119 degrees of freedom)")

		spells := matchers.HaveNoRegressionFrom(blockedRun(true, 1), report.TTFT, 99, 0.10)
		spellWidth := width(spells, blockedRun(true, 2))
		Expect(spells.Result().Dispersion[0]).To(BeNumerically(">", 5), "all exceedances in a few blocks")
		Expect(spellWidth).To(BeNumerically(">", 1.5*evenWidth))
	})

	It("keeps the independent-samples interval for a run without a timeline, and says it has no blocks", func() {
		b, c := blockedRun(true, 1), blockedRun(true, 2)
		b.Stages[0].Timeline, c.Stages[0].Timeline = nil, nil
		b.Summary.Timeline, c.Summary.Timeline = nil, nil
		m := matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.10)
		_, err := m.Match(c)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Result().Blocks).To(Equal([2]int{}))
	})

	It("correlates paired runs over the blocks both have when the candidate drains longer", func() {
		b, c := blockedRun(true, 1), blockedRun(true, 1)
		extra := report.Interval{Start: 600 * time.Second, Length: 5 * time.Second}
		Expect(extra.SetHistogram(report.TTFT, report.NewHistogram())).To(Succeed())
		c.Stages[0].Timeline.Intervals = append(c.Stages[0].Timeline.Intervals, extra)
		e := report.Experiment{Scenario: "production", Seed: "1"}
		b.Experiment, c.Experiment = &e, &e
		m := matchers.HaveNoRegressionFrom(b, report.TTFT, 99, 0.10)
		Expect(c).To(m)
		Expect(m.Result().Blocks).To(Equal([2]int{120, 121}))
		Expect(m.Result().Correlation).To(BeNumerically(">", 0.9), "the same slow spells in both runs")
	})

	It("uses the two runs' block correlation only when both replay one seeded workload (paired)", func() {
		base := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 1)
		paired := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 1) // same workload seed
		other := simulated(mockvllm.Qwen3_8B_H100(), 120*time.Second, 2)
		m := matchers.HaveNoRegressionFrom(base, report.TTFT, 99, 0.10)
		Expect(paired).To(m)
		Expect(m.Result().Correlation).NotTo(BeZero())
		Expect(other).To(m)
		Expect(m.Result().Correlation).To(BeZero())
	})
})

var _ = Describe("Comparability from the recorded experiment", func() {
	DescribeTable("refuses, naming the difference, runs whose experiment.json differs",
		func(change func(e *report.Experiment), want string) {
			base := simulated(mockvllm.Qwen3_8B_H100(), 70*time.Second, 1)
			cand := simulated(mockvllm.Qwen3_8B_H100(), 70*time.Second, 2)
			e := *cand.Experiment
			e.Stages = append([]string(nil), e.Stages...)
			change(&e)
			cand.Experiment = &e
			ok, err := matchers.HaveNoRegressionFrom(base, report.TTFT, 99, 0.1).Match(cand)
			Expect(ok).To(BeFalse())
			Expect(errors.Is(err, matchers.ErrInconclusive)).To(BeTrue(), "%v", err)
			Expect(err).To(MatchError(ContainSubstring("not the same experiment: " + want)))
		},
		Entry("another model", func(e *report.Experiment) { e.Model = "llama-3.1-8b" },
			`model "qwen3-8b" in the baseline, "llama-3.1-8b" in the candidate`),
		Entry("another scenario", func(e *report.Experiment) { e.Scenario = "baseline" },
			`scenario "production" in the baseline, "baseline" in the candidate`),
		Entry("another rate", func(e *report.Experiment) { e.Stages[0] = "poisson 20 req/s for 1m10s" },
			`stage 0 load "poisson 15 req/s for 1m10s" in the baseline, "poisson 20 req/s for 1m10s" in the candidate`),
		Entry("another stage count", func(e *report.Experiment) { e.Stages = append(e.Stages, "poisson 20 req/s for 1m0s") },
			"stage count 1 in the baseline, 2 in the candidate"),
		Entry("other prompt lengths", func(e *report.Experiment) { e.PromptLengths = "normal mean 2048 sd 512 in [128, 4096]" },
			`prompt lengths "normal mean 1024 sd 512 in [128, 4096]" in the baseline, "normal mean 2048`),
		Entry("other output lengths", func(e *report.Experiment) { e.OutputLengths = "uniform in [10, 100]" },
			`output lengths "normal mean 512 sd 256 in [50, 2048]" in the baseline, "uniform in [10, 100]"`),
		Entry("no streaming", func(e *report.Experiment) { e.Streaming = "false" },
			`streaming "true" in the baseline, "false" in the candidate`),
		Entry("ignore_eos off", func(e *report.Experiment) { e.IgnoreEOS = "false" },
			`ignore_eos "true" in the baseline, "false" in the candidate`),
	)

	It("compares runs of one experiment with different seeds, and runs that recorded none", func() {
		base := simulated(mockvllm.Qwen3_8B_H100(), 70*time.Second, 1)
		cand := simulated(mockvllm.Qwen3_8B_H100(), 70*time.Second, 2)
		Expect(cand.Experiment.Seed).NotTo(Equal(base.Experiment.Seed))
		Expect(cand).To(matchers.HaveNoRegressionFrom(base, report.TTFT, 99, 0.5))
		cand.Experiment = nil
		Expect(cand).To(matchers.HaveNoRegressionFrom(base, report.TTFT, 99, 0.5))
	})
})
