package framework_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// servedReport is a one-stage report of n requests sent on time at rate
// req/s, whose TTFT samples are 1 ms, 2 ms, ... n ms.
func servedReport(n int, rate float64) *report.Report {
	dists := map[report.Metric]report.Distribution{}
	for _, m := range []report.Metric{report.TTFT, report.ScheduleDelay} {
		h := report.NewHistogram()
		for i := 1; i <= n; i++ {
			if m == report.TTFT {
				h.Record(float64(i) / 1000)
			} else {
				h.Record(0.0001)
			}
		}
		dists[m] = h
	}
	st := report.Stage{ID: 0, RequestedRate: rate, AchievedRate: rate, SendDuration: time.Duration(float64(n)/rate) * time.Second,
		Requests: int64(n), Successes: int64(n), Distributions: dists}
	sum := st
	sum.ID = -1
	return &report.Report{Summary: sum, Stages: []report.Stage{st}}
}

func slaOf(yaml string) matchers.SLA {
	GinkgoHelper()
	sla, err := matchers.ParseSLA([]byte(yaml), "sla.yaml")
	Expect(err).NotTo(HaveOccurred())
	return sla
}

func verdictOf(vs []report.Verdict, name string) report.Verdict {
	GinkgoHelper()
	for _, v := range vs {
		if v.Promise == name {
			return v
		}
	}
	Fail("no verdict for " + name)
	return report.Verdict{}
}

var _ = Describe("Judge", func() {
	cfg := scenarios.Config{Load: scenarios.LoadConfig{Type: scenarios.LoadConstant, Stages: []scenarios.Stage{{Rate: 10, Duration: 30}}}}

	It("shows every promise's measured value and headroom, kept or broken, and locates latency promises", func() {
		vs := framework.Judge(slaOf("latency:\n  ttft: {p50: 200ms, p90: 200ms}\n"), servedReport(300, 10), cfg)
		kept := verdictOf(vs, "TTFT p50 < 200ms")
		Expect(kept.Outcome).To(Equal(report.Pass))
		Expect(kept.Measured).To(Equal("150.0ms, 25% under (n=300)"))
		Expect(kept.Metric).To(Equal(report.TTFT))
		Expect(kept.Percentile).To(Equal(50.0))
		Expect(kept.Threshold).To(BeNumerically("~", 0.2, 1e-9))
		broken := verdictOf(vs, "TTFT p90 < 200ms")
		Expect(broken.Outcome).To(Equal(report.Fail))
		Expect(broken.Measured).To(MatchRegexp(`^270\.\dms, 35% over \(n=300\)$`))
		Expect(broken.Message).To(ContainSubstring("want < 200ms"))
		Expect(framework.Outcome(vs)).To(Equal(report.Fail))
	})

	It("is inconclusive with too few samples and names the stage duration that gives enough at this rate", func() {
		vs := framework.Judge(slaOf("latency:\n  ttft: {p99: 10s}\n"), servedReport(300, 10), cfg)
		v := verdictOf(vs, "TTFT p99 < 10s")
		Expect(v.Outcome).To(Equal(report.Inconclusive))
		// 300 samples in 30 s stages; p99 needs 1,000 (+3σ of Poisson noise): 30 s × 1095/300 ≈ 110 s.
		Expect(v.Message).To(ContainSubstring("needs stages of at least 1m50s (TAILGATE_DURATION=1m50s)"))
		Expect(framework.Outcome(vs)).To(Equal(report.Inconclusive))
		Expect(framework.Advice(vs)).To(ContainElement(ContainSubstring("a longer run")))
	})

	It("is inconclusive, never passed or failed, when the load was not delivered", func() {
		rep := servedReport(300, 10)
		rep.Stages[0].AchievedRate = 5
		vs := framework.Judge(slaOf("latency:\n  ttft: {p50: 1ms}\n"), rep, cfg)
		for _, v := range vs {
			Expect(v.Outcome).To(Equal(report.Inconclusive), v.Promise)
		}
		Expect(framework.Advice(vs)).To(ContainElement(ContainSubstring("quieter runner")))
		Expect(framework.ExitCode(framework.Outcome(vs))).To(Equal(framework.ExitInconclusive))
	})

	It("combines verdicts: a broken promise outranks an undecided one, and nothing judged is not a pass", func() {
		v := func(o report.Outcome) report.Verdict { return report.Verdict{Outcome: o} }
		Expect(framework.Outcome([]report.Verdict{v(report.Pass), v(report.Inconclusive), v(report.Fail)})).To(Equal(report.Fail))
		Expect(framework.Outcome([]report.Verdict{v(report.Pass), v(report.Inconclusive)})).To(Equal(report.Inconclusive))
		Expect(framework.Outcome([]report.Verdict{v(report.Pass)})).To(Equal(report.Pass))
		Expect(framework.Outcome(nil)).To(Equal(report.Inconclusive))
	})
})

var _ = Describe("JudgeableDuration", func() {
	load := func(path string) matchers.SLA {
		GinkgoHelper()
		sla, err := matchers.LoadSLA(path)
		Expect(err).NotTo(HaveOccurred())
		return sla
	}

	It("knows the shortest run each suite's SLA can judge", func() {
		// Baseline: P95 at 1 req/s needs 200 samples, +3σ = 243 requests.
		Expect(framework.JudgeableDuration(load("../suites/baseline/sla.yaml"), scenarios.Baseline())).To(Equal(250 * time.Second))
		// Production: P99 at 15 req/s needs 1,000 samples, +3σ = 1,095 requests = 73 s.
		Expect(framework.JudgeableDuration(load("../suites/production/sla.yaml"), scenarios.Production())).To(Equal(80 * time.Second))
		// A sweep's rates are found while it runs: nothing to say beforehand.
		Expect(framework.JudgeableDuration(load("../suites/sweep/sla.yaml"), scenarios.Sweep())).To(BeZero())
	})
})
