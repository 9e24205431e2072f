package matchers_test

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	. "github.com/tailgate-dev/tailgate/matchers"
)

const fixtures = "../fixtures/reports"

func readReport(dir string) *report.Report {
	GinkgoHelper()
	r, err := report.ReadDir(filepath.Join(fixtures, dir))
	Expect(err).NotTo(HaveOccurred())
	return r
}

// histStage is a delivered stage whose metric m holds the given samples.
func histStage(m report.Metric, samples []float64) report.Stage {
	h := report.NewHistogram(report.MetricKind(m))
	for _, v := range samples {
		h.Record(v)
	}
	lag := report.NewHistogram()
	for range samples {
		lag.Record(0.0002)
	}
	n := int64(len(samples))
	return report.Stage{
		ID: 0, RequestedRate: 10, AchievedRate: 10, Requests: n, Successes: n,
		Distributions: map[report.Metric]report.Distribution{m: h, report.ScheduleDelay: lag},
	}
}

func uniformSamples(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = rng.Float64() // seconds in [0,1)
	}
	return xs
}

var _ = Describe("percentile matchers on the real sweep report", func() {
	var r *report.Report
	var stage3 report.Stage
	BeforeEach(func() {
		r = readReport("vllm-v0.11-llama3-8b-h100")
		stage3 = r.Stages[3]
	})

	It("passes when stage 3's P99 TTFT (181.8 ms) is under the threshold", func() {
		Expect(stage3).To(HaveP99TTFTBelow(200 * time.Millisecond))
		Expect(stage3).To(HaveP50TTFTBelow(50 * time.Millisecond))
		// The report was written by inference-perf before v0.3.0: report.ReadDir
		// corrects its TPOT (9.38 ms in the file is 18.90 ms) and refuses its ITL.
		Expect(stage3).To(HaveP95TPOTBelow(19 * time.Millisecond))
		Expect(stage3).NotTo(HaveP95TPOTBelow(10 * time.Millisecond))
		_, err := HaveP99ITLBelow(31 * time.Millisecond).Match(stage3)
		Expect(err).To(MatchError(report.ErrLineStamped))
		Expect(stage3).To(HaveP90NTPOTBelow(21 * time.Millisecond))
		Expect(stage3).To(HaveP99RequestLatencyBelow(1400 * time.Millisecond))
		Expect(&stage3).To(HaveP95RequestLatencyBelow(1300 * time.Millisecond))
	})

	It("fails when it is over, with a short, stable message", func() {
		m := HaveP99TTFTBelow(150 * time.Millisecond)
		ok, err := m.Match(stage3)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(m.FailureMessage(stage3)).To(Equal(
			"stage 3 time_to_first_token p99 = 181.8ms, want < 150ms (over by 31.83ms, +21.2%); n=5531; " +
				"p95=80.24ms p99.9=226.8ms; no confidence interval (report-file data)"))
		res := m.Result()
		Expect(res.Value).To(Equal(0.18182665726635605))
		Expect(res.N).To(BeEquivalentTo(5531))
	})

	It("says how far under it is when negated", func() {
		m := HaveP99TTFTBelow(200 * time.Millisecond)
		Expect(m.Match(stage3)).To(BeTrue())
		Expect(m.NegatedFailureMessage(stage3)).To(HavePrefix(
			"stage 3 time_to_first_token p99 = 181.8ms, want >= 200ms (under by 18.17ms, -9.1%); n=5531;"))
	})

	It("takes any Gomega matcher with HavePercentile", func() {
		Expect(stage3).To(HavePercentile(report.TTFT, 95, BeNumerically("<", 81*time.Millisecond)))
		Expect(stage3).To(HavePercentile(report.PromptTokens, 99, BeNumerically("==", 212)))
		m := HavePercentile(report.TTFT, 99, BeNumerically("<", 100*time.Millisecond))
		Expect(m.Match(stage3)).To(BeFalse())
		Expect(m.FailureMessage(stage3)).To(HavePrefix("stage 3 time_to_first_token p99 = 181.8ms, want it to match: Expected <time.Duration>: 181826657 to be <"))
	})

	Describe("refusals", func() {
		It("refuses P99.9 on 5531 samples (needs 10,000)", func() {
			_, err := HaveP999TTFTBelow(time.Second).Match(stage3)
			Expect(err).To(MatchError("time_to_first_token p99.9: too few samples: n=5531, need >= 10000 so that 10 lie above the percentile"))
		})

		It("refuses P99 on the 60 samples of stage 0", func() {
			_, err := HaveP99TTFTBelow(time.Second).Match(r.Stages[0])
			Expect(err).To(MatchError("time_to_first_token p99: too few samples: n=60, need >= 1000 so that 10 lie above the percentile"))
		})

		It("refuses P99 on 10 samples", func() {
			st := histStage(report.TTFT, []float64{.01, .02, .03, .04, .05, .06, .07, .08, .09, .1})
			m := HaveP99TTFTBelow(time.Second)
			ok, err := m.Match(st)
			Expect(ok).To(BeFalse())
			Expect(err).To(MatchError("time_to_first_token p99: too few samples: n=10, need >= 1000 so that 10 lie above the percentile"))
			// and with the same data the median, which needs 20, is also refused
			_, err = HaveP50TTFTBelow(time.Second).Match(st)
			Expect(err).To(MatchError(ContainSubstring("n=10, need >= 20")))
		})

		It("refuses a metric the run did not measure (TTFT without streaming)", func() {
			cur := readReport("crafted-current")
			_, err := HaveP99TTFTBelow(time.Second).Match(cur)
			Expect(err).To(MatchError("time_to_first_token p99: time_to_first_token not measured in summary " +
				"(it needs streamed responses: api.streaming true and a server that streams)"))
			_, err = HaveP99TTFTBelow(time.Second).Match(cur)
			Expect(err).To(HaveOccurred(), "NotTo would fail as well: an error fails both")
		})

		It("refuses a stage that achieved 60% of the requested rate", func() {
			st := stage3
			st.AchievedRate = 0.6 * st.RequestedRate
			_, err := HaveP99TTFTBelow(time.Second).Match(st)
			Expect(err).To(MatchError("time_to_first_token p99: load not delivered, refusing to judge: " +
				"stage 3: achieved 55.31 req/s = 60.0% of requested 92.19 req/s (need >= 95.0% with 5531 requests)"))
		})

		It("refuses the whole sweep: stages 4-6 fell behind their schedule", func() {
			_, err := HaveP99TTFTBelow(10 * time.Second).Match(r)
			Expect(err).To(HaveOccurred())
			msg := err.Error()
			Expect(msg).To(HavePrefix("time_to_first_token p99: load not delivered, refusing to judge: " +
				"stage 4: achieved 106.5 req/s = 86.9% of requested 122.6 req/s (need >= 95.0% with 7355 requests); " +
				"stage 4: schedule delay p50 = 3506.5ms > 10ms; stage 4: schedule delay p99 = 8879.1ms > 100ms; stage 5:"))
			Expect(msg).To(ContainSubstring("stage 4: achieved 106.5 req/s = 86.9% of requested 122.6 req/s"))
			Expect(msg).To(ContainSubstring("stage 6: achieved 106.5 req/s = 58.1% of requested 183.4 req/s"))
			Expect(msg).NotTo(ContainSubstring("stage 3:"))
		})

		It("refuses a partial report", func() {
			cut := *readReport("crafted-v0.6")
			cut.Partial, cut.PartialReason = true, "interrupted in stage 1"
			_, err := HaveP50TTFTBelow(time.Second).Match(&cut)
			Expect(err).To(MatchError(ContainSubstring("load not delivered, refusing to judge: partial report: interrupted in stage 1")))
			b := DefaultLoadBounds()
			b.AllowPartial = true
			Expect(&cut).To(HaveP50TTFTBelow(time.Second).WithLoadBounds(b))
		})

		It("refuses a stage whose sends waited for the in-flight limit", func() {
			st := histStage(report.TTFT, uniformSamples(2000, 1))
			st.Generator = &report.GeneratorStats{InFlightLimit: 64, InFlightLimitHits: 37, Scheduled: 2000, Sent: 2000}
			_, err := HaveP50TTFTBelow(time.Second).Match(st)
			Expect(err).To(MatchError(ContainSubstring("stage 0: 37 sends waited for the in-flight limit of 64 (allowed 0)")))
		})

		It("refuses a non-report", func() {
			_, err := HaveP99TTFTBelow(time.Second).Match("report.json")
			Expect(err).To(MatchError("want a *report.Report or a report.Stage, got string"))
			var nilReport *report.Report
			_, err = HaveP99TTFTBelow(time.Second).Match(nilReport)
			Expect(err).To(MatchError("no report (nil *report.Report)"))
		})
	})

	It("judges the summary of a delivered report", func() {
		v06 := readReport("crafted-v0.6")
		Expect(v06).To(HaveP99TTFTBelow(300 * time.Millisecond))
		m := HaveP99TTFTBelow(100 * time.Millisecond)
		Expect(m.Match(v06)).To(BeFalse())
		Expect(m.Result().Stage).To(Equal("summary"))
		Expect(m.Result().N).To(BeEquivalentTo(3600))
	})
})

var _ = Describe("strict mode", func() {
	It("needs HdrHistogram data", func() {
		r := readReport("vllm-v0.11-llama3-8b-h100")
		_, err := HaveP99TTFTBelow(time.Second).Strict().Match(r.Stages[3])
		Expect(err).To(MatchError(ContainSubstring("strict mode needs HdrHistogram data; this stage 3 holds only the percentiles p0.1, p1,")))
	})

	It("passes only when the 95% interval is under the threshold, and prints it either way", func() {
		st := histStage(report.RequestLatency, uniformSamples(2000, 3)) // true P99 = 0.99 s
		p99, _ := st.Distributions[report.RequestLatency].Percentile(99)

		loose := HaveP99RequestLatencyBelow(time.Duration((p99 + 0.001) * float64(time.Second)))
		Expect(loose.Match(st)).To(BeTrue(), "the point estimate is under")
		strict := HaveP99RequestLatencyBelow(time.Duration((p99 + 0.001) * float64(time.Second))).Strict()
		Expect(strict.Match(st)).To(BeFalse(), "the interval is not")
		res := strict.Result()
		Expect(res.CILow).To(BeNumerically("<=", res.Value))
		Expect(res.CIHigh).To(BeNumerically(">", p99+0.001))
		Expect(strict.FailureMessage(st)).To(MatchRegexp(`; 95% CI \[\d+\.\d+ms, \d+\.\d+ms\] \(strict: the upper bound must be under the threshold\)$`))
		Expect(loose.NegatedFailureMessage(st)).To(MatchRegexp(`; 95% CI \[\d+\.\d+ms, \d+\.\d+ms\]$`))

		Expect(st).To(HaveP99RequestLatencyBelow(time.Second).Strict(), "max is below 1 s, so is the interval")
	})

	It("has intervals that cover the true percentile about 95% of the time", func() {
		covered, trials := 0, 200
		for i := 0; i < trials; i++ {
			st := histStage(report.RequestLatency, uniformSamples(1000, uint64(100+i)))
			m := HaveP99RequestLatencyBelow(2 * time.Second)
			Expect(m.Match(st)).To(BeTrue())
			res := m.Result()
			Expect(math.IsNaN(res.CILow) || math.IsNaN(res.CIHigh)).To(BeFalse())
			if res.CILow <= 0.99 && 0.99 <= res.CIHigh {
				covered++
			}
		}
		// binomial(200, >=0.95): below 180 would be a >4σ miss
		Expect(covered).To(BeNumerically(">=", 180))
	})
})

var _ = Describe("a percentile that is not a number", func() {
	// A report file whose STATS block lacks "max" (or holds NaN there, which
	// ReadDir reads as absent) leaves the maximum unknown.
	stage := func() report.Stage {
		st := histStage(report.TTFT, uniformSamples(2000, 3))
		st.Distributions[report.TTFT] = &report.Stats{N: 2000, MeanV: 0.2, MinV: 0.1, MaxV: math.NaN(),
			Points: map[float64]float64{99: 0.9}}
		return st
	}

	It("is refused, not handed to the user's matcher as a duration", func() {
		m := HavePercentile(report.TTFT, 100, BeNumerically("<", time.Second))
		ok, err := m.Match(stage())
		Expect(err).To(MatchError(ContainSubstring("not a number")))
		Expect(ok).To(BeFalse())
	})

	It("is refused by the threshold matchers too", func() {
		_, err := HavePercentileBelow(report.TTFT, 100, 1).Match(stage())
		Expect(err).To(MatchError(ContainSubstring("not a number")))
	})
})

var _ = Describe("strict mode with a custom matcher", func() {
	It("is refused rather than silently judging the point estimate", func() {
		st := histStage(report.RequestLatency, uniformSamples(1000, 11))
		m := HavePercentile(report.RequestLatency, 99, BeNumerically("<", 2*time.Second)).Strict()
		ok, err := m.Match(st)
		Expect(err).To(MatchError(ContainSubstring("strict mode needs a threshold")))
		Expect(ok).To(BeFalse())
	})
})
