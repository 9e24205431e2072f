package matchers_test

import (
	"math"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	. "github.com/tailgate-dev/tailgate/matchers"
)

var _ = Describe("HaveErrorRateBelow", func() {
	It("judges failed / all requests and lists the labels", func() {
		st := readReport("crafted-v0.6.1").Stages[1] // 12 of 2400 failed
		Expect(st).To(HaveErrorRateBelow(0.01))
		m := HaveErrorRateBelow(0.001)
		Expect(m.Match(st)).To(BeFalse())
		Expect(m.FailureMessage(st)).To(Equal("stage 1 error rate = 0.5% (12 of 2400 failed); " +
			"503 - Service Unavailable: 10, Connection Error: 2, want error rate < 0.1%"))
	})
})

var _ = Describe("HaveThroughputAbove", func() {
	It("judges a throughput figure", func() {
		st := readReport("vllm-v0.11-llama3-8b-h100").Stages[3]
		Expect(st).To(HaveThroughputAbove(OutputTokensPerSec, 5000))
		m := HaveThroughputAbove(RequestsPerSec, 92)
		Expect(m.Match(st)).To(BeFalse())
		Expect(m.FailureMessage(st)).To(Equal("stage 3 requests_per_sec = 91.36 (5531 successes), want requests_per_sec > 92"))
		_, err := HaveThroughputAbove("tokens_per_minute", 1).Match(st)
		Expect(err).To(MatchError(ContainSubstring(`unknown throughput figure "tokens_per_minute"`)))
	})
})

var _ = Describe("HaveGoodputAbove", func() {
	It("judges inference-perf's goodput percentage", func() {
		cur := readReport("crafted-current")
		Expect(cur).To(HaveGoodputAbove(95))
		m := HaveGoodputAbove(99)
		Expect(m.Match(cur)).To(BeFalse())
		Expect(m.FailureMessage(cur)).To(Equal("summary goodput = 97.17% (3498 of 3600 good, the 12 failed requests counted as not good; " +
			"97.50% of the successes); attainment request_latency 97.50%, want goodput > 99%"))
		Expect(HaveGoodputAbove(97.3).Match(cur)).To(BeFalse(), "inference-perf's 97.5% over successes hides the 12 failures")
	})

	It("refuses a report without goodput", func() {
		_, err := HaveGoodputAbove(90).Match(readReport("crafted-v0.6"))
		Expect(err).To(MatchError("goodput > 90%: summary: goodput not in the report (set report.goodput.constraints in the scenario)"))
	})
})

var _ = Describe("HaveDeliveredLoad", func() {
	It("passes on a stage the generator kept up with", func() {
		Expect(readReport("vllm-v0.11-llama3-8b-h100").Stages[3]).To(HaveDeliveredLoad())
	})

	It("lists every stage that fell behind", func() {
		r := readReport("vllm-v0.11-llama3-8b-h100")
		m := HaveDeliveredLoad()
		Expect(m.Match(r)).To(BeFalse())
		msg := m.FailureMessage(r)
		Expect(msg).To(HavePrefix("load not delivered: stage 4: achieved 106.5 req/s = 86.9% of requested 122.6 req/s (need >= 95.0% with 7355 requests); "))
		for _, s := range []string{"stage 4", "stage 5", "stage 6"} {
			Expect(msg).To(ContainSubstring(s + ": achieved"))
			Expect(msg).To(ContainSubstring(s + ": schedule delay p50"))
		}
		Expect(msg).NotTo(ContainSubstring("stage 3"))
	})

	It("allows a short stage the Poisson noise of its achieved rate (3/√N), no more", func() {
		st := histStage(report.TTFT, uniformSamples(400, 5)) // 3/√400 = 15%
		st.AchievedRate = 8.6                                // requested 10
		Expect(st).To(HaveDeliveredLoad())
		st.AchievedRate = 8.4
		m := HaveDeliveredLoad()
		Expect(m.Match(st)).To(BeFalse())
		Expect(m.FailureMessage(st)).To(Equal("load not delivered: stage 0: achieved 8.4 req/s = 84.0% of requested 10 req/s (need >= 85.0% with 400 requests)"))
	})

	It("applies custom bounds", func() {
		st := readReport("vllm-v0.11-llama3-8b-h100").Stages[3] // schedule delay p99 1.68 ms
		b := DefaultLoadBounds()
		b.MaxLagP99 = time.Millisecond
		m := HaveDeliveredLoad(b)
		Expect(m.Match(st)).To(BeFalse())
		Expect(m.FailureMessage(st)).To(Equal("load not delivered: stage 3: schedule delay p99 = 1.68ms > 1ms"))
	})

	It("checks the native engine's sent vs scheduled count", func() {
		st := histStage(report.TTFT, uniformSamples(2000, 9))
		st.Generator = &report.GeneratorStats{Scheduled: 2100, Sent: 2000}
		m := HaveDeliveredLoad()
		Expect(m.Match(st)).To(BeFalse())
		Expect(m.FailureMessage(st)).To(Equal("load not delivered: stage 0: sent 2000 of 2100 scheduled requests"))
	})

	It("accepts in-flight limit hits of a concurrent (closed-loop) stage, where they are by design", func() {
		st := histStage(report.TTFT, uniformSamples(500, 9))
		st.RequestedRate, st.AchievedRate, st.Concurrency = 0, 0, 32
		st.Generator = &report.GeneratorStats{Scheduled: 500, Sent: 500, InFlightLimit: 32, InFlightLimitHits: 468}
		r := &report.Report{Summary: st, Stages: []report.Stage{st}}
		Expect(r).To(HaveDeliveredLoad())
		Expect(r).To(HaveP50TTFTBelow(time.Second))
	})

	It("refuses a report with only a summary file, whose rates say nothing of delivery", func() {
		dir := GinkgoT().TempDir()
		data, err := os.ReadFile(filepath.Join(fixtures, "crafted-current", report.SummaryFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, report.SummaryFile), data, 0o644)).To(Succeed())
		r, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		m := HaveDeliveredLoad()
		Expect(m.Match(r)).To(BeFalse())
		Expect(m.FailureMessage(r)).To(ContainSubstring("summary: requested rate unknown"))
		_, err = HaveP99TTFTBelow(time.Hour).Match(r)
		Expect(err).To(MatchError(ContainSubstring("load not delivered")))
	})

	It("does not take a schedule delay that is not a number as on time", func() {
		st := histStage(report.TTFT, uniformSamples(400, 5))
		st.Distributions[report.ScheduleDelay] = &report.Stats{N: 400, MeanV: math.NaN(), MinV: math.NaN(), MaxV: math.NaN(),
			Points: map[float64]float64{50: math.NaN(), 99: math.NaN()}}
		m := HaveDeliveredLoad()
		Expect(m.Match(st)).To(BeFalse())
		Expect(m.FailureMessage(st)).To(ContainSubstring("schedule delay p50 = NaN"))
	})

	It("does not take an achieved rate that is not a number as delivered", func() {
		st := histStage(report.TTFT, uniformSamples(400, 5))
		st.AchievedRate = math.NaN()
		m := HaveDeliveredLoad()
		Expect(m.Match(st)).To(BeFalse())
		Expect(m.FailureMessage(st)).To(ContainSubstring("achieved NaN req/s"))
	})

	It("refuses to call a stage without rates delivered", func() {
		st := histStage(report.TTFT, uniformSamples(100, 9))
		st.RequestedRate = 0
		m := HaveDeliveredLoad()
		Expect(m.Match(st)).To(BeFalse())
		Expect(m.FailureMessage(st)).To(ContainSubstring("requested rate unknown"))
	})
})
