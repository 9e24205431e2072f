package matchers_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
	. "github.com/tailgate-dev/tailgate/matchers"
)

const serverError = "500 - Internal Server Error"

// withFailures adds f failed requests (HTTP 500) to a delivered stage.
func withFailures(st report.Stage, f int64) report.Stage {
	st.Failures = f
	st.Requests = st.Successes + f
	st.FailuresByLabel = map[string]report.FailureLabel{serverError: {Count: f}}
	lag := report.NewHistogram()
	for range st.Requests {
		lag.Record(0.0002)
	}
	st.Distributions[report.ScheduleDelay] = lag
	return st
}

// allFailed is a delivered stage of n requests that all failed with HTTP 500:
// no latency distribution at all, as the native engine and inference-perf
// report it.
func allFailed(n int64) report.Stage {
	st := report.Stage{ID: 0, RequestedRate: 4, AchievedRate: 4, Distributions: map[report.Metric]report.Distribution{}}
	return withFailures(st, n)
}

func isInconclusive(err error) bool { return errors.Is(err, ErrInconclusive) }

var _ = Describe("no SLA file (the zero SLA)", func() {
	It("carries the implied promises, named so that they read as implied", func() {
		ps := SLA{}.Promises()
		Expect(ps).To(HaveLen(2))
		Expect(ps[0].Name).To(Equal("load delivered"))
		Expect(ps[1].Name).To(Equal("error rate < 1% (implied: the SLA sets none)"))
		Expect(ps[0].Implied && ps[1].Implied).To(BeTrue())
	})

	It("fails a run where every request failed, as a broken promise, not a refusal", func() {
		r := &report.Report{Summary: allFailed(60), Stages: []report.Stage{allFailed(60)}}
		m := MeetSLA(SLA{})
		ok, err := m.Match(r)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(m.FailureMessage(r)).To(ContainSubstring("error rate < 1% (implied: the SLA sets none): summary error rate = 100% (60 of 60 failed); " + serverError + ": 60"))
		for _, p := range (SLA{}).Promises()[1:] {
			Expect(p.Matcher.Match(r)).To(BeFalse(), p.Name)
		}
	})

	It("fails a run where 2% of requests failed, and passes one without failures", func() {
		st := withFailures(histStage(report.TTFT, uniformSamples(980, 4)), 20)
		Expect(MeetSLA(SLA{}).Match(st)).To(BeFalse())
		Expect(histStage(report.TTFT, uniformSamples(980, 4))).To(MeetSLA(SLA{}))
	})

	It("adds the implied error rate to a file without error_rate, and not to one with it", func() {
		latencyOnly, err := ParseSLA([]byte("latency: {ttft: {p50: 10s}}\n"), "latency-only.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(latencyOnly.Promises()[1].Name).To(Equal("error rate < 1% (implied: the SLA sets none)"))
		withRate, err := ParseSLA([]byte("latency: {ttft: {p50: 10s}}\nerror_rate: 5%\n"), "with-rate.yaml")
		Expect(err).NotTo(HaveOccurred())
		for _, p := range withRate.Promises()[1:] {
			Expect(p.Implied).To(BeFalse(), p.Name)
		}
	})
})

var _ = Describe("a server that answers every request with HTTP 500", Ordered, func() {
	var r *report.Report
	BeforeAll(func(ctx SpecContext) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"error":{"message":"engine crashed"}}`, http.StatusInternalServerError)
		}))
		DeferCleanup(srv.Close)
		res, err := loadgen.Run(ctx, loadgen.Options{
			BaseURL: srv.URL, Model: "m", Streaming: true, Seed: 1, LeadIn: -1,
			Load: loadgen.LoadConstant, Stages: []loadgen.Stage{{Rate: 20, Duration: 3 * time.Second}}, Workers: 2,
		})
		Expect(err).NotTo(HaveOccurred())
		r = res.Report
		Expect(r.Summary.Failures).To(BeEquivalentTo(60))
	}, NodeTimeout(time.Minute))

	It("fails a latency-only SLA: a failed request is beyond any TTFT threshold", func() {
		m := HaveP50TTFTBelow(10 * time.Second).WithLoadBounds(looseBounds())
		ok, err := m.Match(r)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(m.FailureMessage(r)).To(HavePrefix("summary time_to_first_token p50 = a failed request (beyond any threshold), want < 10s; n=0; 60 failed requests counted beyond the threshold"))
		Expect(m.FailureMessage(r)).NotTo(ContainSubstring("api.streaming"))
		Expect(m.FailureMessage(r)).To(HaveSuffix("; 95% CI [a failure, a failure]"))
	})

	It("fails the zero SLA on its implied error rate", func() {
		Expect(MeetSLA(SLA{Load: looseBounds()}).Match(r)).To(BeFalse())
	})

	It("blames the failures, not streaming, when a metric cannot be measured", func() {
		_, err := HavePercentileBelow(report.OutputTokens, 50, 10).WithLoadBounds(looseBounds()).Match(r)
		Expect(err).To(MatchError(ContainSubstring("(no request succeeded: 60 of 60 failed; " + serverError + ": 60)")))
		Expect(err.Error()).NotTo(ContainSubstring("api.streaming"))
		Expect(isInconclusive(err)).To(BeTrue())
	})
})

// The case on a native engine report: a server that answers 15% of
// requests with HTTP 500 passed a latency-only SLA. It no longer does, and an
// error_rate that tolerates the failures does not trim them off the tail.
var _ = Describe("a simulated vLLM that fails 15% of requests with HTTP 500", Ordered, func() {
	var r *report.Report
	BeforeAll(func(ctx SpecContext) {
		srv, err := mockvllm.Start(ctx, mockvllm.Options{Model: "m", Profile: "fixed", Seed: 3,
			Faults: mockvllm.Faults{ErrorRate: 0.15, ErrorStatus: http.StatusInternalServerError}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)
		res, err := loadgen.Run(ctx, loadgen.Options{
			BaseURL: srv.URL(), Model: "m", Streaming: true, IgnoreEOS: true, Seed: 3, LeadIn: -1,
			Load: loadgen.LoadConstant, Stages: []loadgen.Stage{{Rate: 100, Duration: 4 * time.Second}},
			Workers: 2, WorkerMaxConcurrency: 100,
		})
		Expect(err).NotTo(HaveOccurred())
		r = res.Report
		Expect(r.Summary.ErrorRate()).To(BeNumerically("~", 0.15, 0.06))
	}, NodeTimeout(time.Minute))

	It("fails TTFT p90 however fast the successes are: the 90th percentile falls on a failure", func() {
		m := HaveP90TTFTBelow(5 * time.Second).WithLoadBounds(looseBounds())
		ok, err := m.Match(r)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(m.FailureMessage(r)).To(ContainSubstring("failed requests counted beyond the threshold"))
	})

	It("judges TTFT p50 on the successes above the failures' share", func() {
		m := HaveP50TTFTBelow(5 * time.Second).WithLoadBounds(looseBounds())
		Expect(m.Match(r)).To(BeTrue())
		n, f := float64(m.Result().N), float64(m.Result().Failures)
		Expect(m.Result().AdjustedP).To(BeNumerically("~", 50*(n+f)/n, 1e-9))
	})

	It("fails a latency-only SLA on the implied error rate, and one with error_rate: 25% on the tail", func() {
		latencyOnly := mustSLA("latency: {ttft: {p50: 5s}}\n")
		latencyOnly.Load = looseBounds()
		m := MeetSLA(latencyOnly)
		Expect(m.Match(r)).To(BeFalse())
		Expect(m.FailureMessage(r)).To(ContainSubstring("error rate < 1% (implied: the SLA sets none)"))

		tolerant := mustSLA("latency: {ttft: {p90: 5s}}\nerror_rate: 25%\n")
		tolerant.Load = looseBounds()
		m = MeetSLA(tolerant)
		Expect(m.Match(r)).To(BeFalse())
		Expect(m.FailureMessage(r)).To(ContainSubstring("TTFT p90 < 5s"))
		Expect(m.FailureMessage(r)).NotTo(ContainSubstring("error rate <"))
	})
})

var _ = Describe("failed requests in the latency tail", func() {
	It("fail P99 when more than 1% of requests failed, and say how many were counted", func() {
		st := withFailures(histStage(report.TTFT, uniformSamples(985, 5)), 15)
		m := HaveP99TTFTBelow(2 * time.Second)
		ok, err := m.Match(st)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse(), "the 990th of 1000 samples is a failure")
		Expect(m.Result().Failures).To(BeEquivalentTo(15))
		Expect(m.FailureMessage(st)).To(ContainSubstring("n=985; 15 failed requests counted beyond the threshold: p99 over 1000 samples falls on a failure"))
	})

	It("move P99 up the successes when fewer than 1% failed", func() {
		st := withFailures(histStage(report.TTFT, uniformSamples(995, 5)), 5)
		m := HaveP99TTFTBelow(2 * time.Second)
		Expect(m.Match(st)).To(BeTrue())
		res := m.Result()
		d := st.Distributions[report.TTFT].(*report.Histogram)
		Expect(res.Value).To(Equal(d.ValueAtRank(990)), "the 990th of the 1000 samples, all 5 failures above it")
		Expect(res.AdjustedP).To(BeNumerically("~", 99*1000.0/995, 1e-9))
		Expect(m.Measured()).To(ContainSubstring("5 failed requests counted beyond the threshold: p99 over all = p99.497 of the 995 successful samples"))
	})

	It("apply the sample-count rule to successes and failures together", func() {
		st := withFailures(histStage(report.TTFT, uniformSamples(150, 6)), 50)
		Expect(HaveP95TTFTBelow(2*time.Second).Match(st)).To(BeFalse(), "200 samples are enough for P95, and it falls on a failure")
		_, err := HaveP99TTFTBelow(2 * time.Second).Match(st)
		Expect(err).To(MatchError(ContainSubstring("too few samples: n=150 + 50 failed, need >= 1000")))
	})

	It("equal the percentile of a histogram holding the failures as its largest values, over many seeds", func() {
		for seed := uint64(0); seed < 200; seed++ {
			rng := rand.New(rand.NewPCG(seed, 11))
			n, f := 200+rng.IntN(3000), rng.IntN(80)
			p := []float64{50, 90, 95, 99}[rng.IntN(4)]
			samples := uniformSamples(n, seed)
			st := withFailures(histStage(report.RequestLatency, samples), int64(f))
			m := HavePercentileBelow(report.RequestLatency, p, 3000).WithMinTailSamples(1)
			ok, err := m.Match(st)
			Expect(err).NotTo(HaveOccurred())

			all := report.NewHistogram() // the failures as 3600 s, beyond the 3000 s threshold
			for _, v := range samples {
				all.Record(v)
			}
			for range f {
				all.Record(3600)
			}
			want := all.ValueAtRank(int64(math.Ceil(p / 100 * float64(n+f))))
			Expect(ok).To(Equal(want < 3000), "seed %d: n=%d f=%d p%g", seed, n, f, p)
			if want < 3000 {
				// equal within the histogram's 0.1% buckets (each histogram clamps to its own max)
				Expect(m.Result().Value).To(BeNumerically("~", want, want*1e-3), "seed %d", seed)
			}
		}
	})

	It("weigh each failed request as an average success's token gaps in pooled ITL", func() {
		st := histStage(report.ITL, uniformSamples(10000, 7)) // 100 successes × 100 gaps
		st.Successes, st.Requests = 100, 100
		st = withFailures(st, 2)
		m := HaveP99ITLBelow(2 * time.Second)
		Expect(m.Match(st)).To(BeFalse(), "2 of 102 requests failed: 1.96% of the ITL tail")
		Expect(m.Result().Failures).To(BeEquivalentTo(200))
		Expect(m.FailureMessage(st)).To(ContainSubstring("2 failed requests (as 200 gaps, each request weighing as an average success)"))
	})

	It("do not enter schedule delay, which already holds every request", func() {
		st := withFailures(histStage(report.TTFT, uniformSamples(1000, 8)), 100)
		m := HavePercentileBelow(report.ScheduleDelay, 99, 0.01)
		Expect(m.Match(st)).To(BeTrue())
		Expect(m.Result().Failures).To(BeZero())
	})

	Context("on report-file data", func() {
		// successes' percentiles as a report file holds them
		fileStage := func(n, f int64) report.Stage {
			st := histStage(report.TTFT, uniformSamples(int(n), 9))
			st.Distributions[report.TTFT] = &report.Stats{N: n, MeanV: 0.5, MinV: 0, MaxV: 0.999,
				Points: map[float64]float64{50: 0.5, 90: 0.9, 95: 0.95, 99: 0.99, 99.9: 0.999, 100: 0.999}}
			return withFailures(st, f)
		}

		It("read the adjusted percentile p·(n+f)/n when the file holds it", func() {
			st := fileStage(900, 100) // p90 over 1000 = p100 of 900 = max
			m := HaveP90TTFTBelow(time.Second)
			Expect(m.Match(st)).To(BeTrue())
			Expect(m.Result().Value).To(Equal(0.999))
		})

		It("pass on the nearest percentile above when it is under the threshold", func() {
			st := fileStage(1000, 5) // p90 over 1005 = p90.45 of the successes <= p95 = 950 ms
			m := HaveP90TTFTBelow(960 * time.Millisecond)
			Expect(m.Match(st)).To(BeTrue())
			Expect(m.Result().Bound).To(Equal("<="))
			Expect(m.Measured()).To(ContainSubstring("<= 950.0ms (p95 of the successes, the nearest the report file holds to p90.45)"))
		})

		It("fail on the nearest percentile below when it is over the threshold", func() {
			st := fileStage(1000, 5)
			m := HaveP90TTFTBelow(800 * time.Millisecond)
			ok, err := m.Match(st)
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
			Expect(m.FailureMessage(st)).To(ContainSubstring(">= 900.0ms (p90 of the successes"))
		})

		It("refuse, inconclusive, when the neighbours straddle the threshold", func() {
			_, err := HaveP90TTFTBelow(920 * time.Millisecond).Match(fileStage(1000, 5))
			Expect(err).To(MatchError(ContainSubstring("this is p90.45 of the successes, which the report file does not hold (available: p50, p90, p95, p99, p99.9, max)")))
			Expect(isInconclusive(err)).To(BeTrue())
		})

		It("fail when the adjusted percentile is above 100", func() {
			st := fileStage(990, 20) // p99 over 1010 = p101 of the successes
			m := HaveP99TTFTBelow(time.Hour)
			Expect(m.Match(st)).To(BeFalse())
			Expect(m.Result().Value).To(Equal(math.Inf(1)))
		})
	})
})

var _ = Describe("every refusal to judge is inconclusive, every broken promise a plain failure", func() {
	delivered := func() report.Stage { return histStage(report.TTFT, uniformSamples(2000, 10)) }
	DescribeTable("refusals wrap ErrInconclusive",
		func(m interface {
			Match(any) (bool, error)
		}, actual func() any, want string) {
			ok, err := m.Match(actual())
			Expect(ok).To(BeFalse())
			Expect(err).To(MatchError(ContainSubstring(want)))
			Expect(isInconclusive(err)).To(BeTrue(), "errors.Is(err, ErrInconclusive) for: %v", err)
		},
		Entry("a missing metric", HaveP99TPOTBelow(time.Second), func() any { return delivered() }, "not measured"),
		Entry("too few samples", HaveP999TTFTBelow(time.Second), func() any { return delivered() }, "too few samples"),
		Entry("load not delivered", HaveP50TTFTBelow(time.Second), func() any {
			st := delivered()
			st.AchievedRate = 5
			return st
		}, "load not delivered"),
		Entry("a partial run", HaveP50TTFTBelow(time.Second), func() any {
			return &report.Report{Summary: delivered(), Stages: []report.Stage{delivered()}, Partial: true, PartialReason: "interrupted"}
		}, "partial report: interrupted"),
		Entry("a percentile the report file does not hold", HavePercentileBelow(report.TTFT, 97, 1), func() any {
			st := delivered()
			st.Distributions[report.TTFT] = &report.Stats{N: 2000, MaxV: 1, Points: map[float64]float64{99: 0.9}}
			return st
		}, "p97 is not in the report file"),
		Entry("NaN", HavePercentileBelow(report.TTFT, 100, 1), func() any {
			st := delivered()
			st.Distributions[report.TTFT] = &report.Stats{N: 2000, MaxV: math.NaN(), Points: map[float64]float64{}}
			return st
		}, "not a number"),
		Entry("strict mode on report-file data", HaveP99TTFTBelow(time.Second).Strict(), func() any {
			st := delivered()
			st.Distributions[report.TTFT] = &report.Stats{N: 2000, MaxV: 1, Points: map[float64]float64{99: 0.9}}
			return st
		}, "strict mode needs HdrHistogram data"),
		Entry("no report", HaveP99TTFTBelow(time.Second), func() any { return (*report.Report)(nil) }, "no report"),
		Entry("goodput not in the report", HaveGoodputAbove(90), func() any { return delivered() }, "goodput not in the report"),
		Entry("the load-delivered precondition of an SLA", SLA{}.Promises()[0].Matcher, func() any {
			st := delivered()
			st.AchievedRate = 5
			return st
		}, "load not delivered"),
		Entry("an SLA with a promise that cannot be judged and none broken", MeetSLA(mustSLA("latency: {tpot: {p99: 1s}}\n")),
			func() any { return delivered() }, "1 of 2 promises could not be judged"),
		Entry("a stage that cannot be judged when none breaks", InEveryStage(HaveP99TPOTBelow(time.Second)),
			func() any { return &report.Report{Summary: delivered(), Stages: []report.Stage{delivered()}} }, "1 of 1 stages could not be judged"),
	)

	It("reports a broken promise as a failure even when another promise cannot be judged", func() {
		sla := mustSLA("latency: {tpot: {p99: 1s}, ttft: {p50: 1ms}}\n")
		m := MeetSLA(sla)
		ok, err := m.Match(delivered())
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(m.FailureMessage(nil)).To(ContainSubstring("and 1 could not be judged:\n  - cannot judge \"TPOT p99 < 1s\""))
	})

	It("keeps usage errors apart from inconclusive evidence", func() {
		_, err := HavePercentileBelow(report.TTFT, 99, -1).Match(histStage(report.TTFT, uniformSamples(2000, 10)))
		Expect(err).To(HaveOccurred())
		Expect(isInconclusive(err)).To(BeFalse(), "no run can make a negative threshold judgeable")
	})
})

// looseBounds are delivered-load bounds for specs that do not test the
// generator's delivery: on a shared, noisy machine its lag may exceed the
// defaults.
func looseBounds() LoadBounds {
	b := DefaultLoadBounds()
	b.MaxLagP50, b.MaxLagP99 = time.Second, 5*time.Second
	return b
}

func mustSLA(yaml string) SLA {
	GinkgoHelper()
	s, err := ParseSLA([]byte(yaml), "inline.yaml")
	Expect(err).NotTo(HaveOccurred())
	return s
}
