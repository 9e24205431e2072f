package matchers_test

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	. "github.com/tailgate-dev/tailgate/matchers"
)

var _ = Describe("SLA files", func() {
	It("loads a file and lists one named promise per line", func() {
		sla, err := LoadSLA("testdata/production-sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, p := range sla.Promises() {
			names = append(names, p.Name)
		}
		Expect(names).To(Equal([]string{
			"load delivered",
			"TTFT p50 < 50ms",
			"TTFT p99 < 200ms",
			"TPOT p99 < 20ms",
			"request latency p95 < 1.3s",
			"error rate < 1%",
			"output_tokens_per_sec > 5000",
		}))
		Expect(sla.Promises()[2].Line).To(Equal(5))
		Expect(sla.Load).To(Equal(DefaultLoadBounds()))
	})

	It("is kept by stage 3 of the real sweep", func() {
		sla, err := LoadSLA("testdata/production-sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		st := readReport("vllm-v0.11-llama3-8b-h100").Stages[3]
		m := MeetSLA(sla)
		Expect(st).To(m)
		Expect(m.Measured()).To(ContainSubstring("\nTTFT p99 < 200ms: stage 3 time_to_first_token p99 = 181.8ms; n=5531;"))
		for _, p := range sla.Promises() {
			Expect(st).To(p.Matcher, p.Name)
		}
	})

	It("reports every breach at once", func() {
		sla, err := LoadSLA("testdata/tight-sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		st := readReport("vllm-v0.11-llama3-8b-h100").Stages[3]
		m := MeetSLA(sla)
		Expect(m.Match(st)).To(BeFalse())
		Expect(m.FailureMessage(st)).To(Equal(`SLA testdata/tight-sla.yaml breached (4 of 6 promises):
  - TTFT p50 < 40ms: stage 3 time_to_first_token p50 = 44.52ms, want < 40ms (over by 4.52ms, +11.3%); n=5531; p25=38.34ms p75=53.06ms; no confidence interval (report-file data)
  - TTFT p99 < 150ms: stage 3 time_to_first_token p99 = 181.8ms, want < 150ms (over by 31.83ms, +21.2%); n=5531; p95=80.24ms p99.9=226.8ms; no confidence interval (report-file data)
  - TPOT p99 < 9ms: stage 3 time_per_output_token p99 = 19.39ms, want < 9ms (over by 10.39ms, +115.5%); n=5531; p95=18.90ms p99.9=19.60ms; no confidence interval (report-file data)
  - requests_per_sec > 100: stage 3 requests_per_sec = 91.36 (5531 successes), want requests_per_sec > 100`))
	})

	It("refuses to judge when evidence is missing, and says what is missing", func() {
		sla, err := ParseSLA([]byte("latency: {ttft: {p99: 1s}, request_latency: {p99.9: 2s}}\nerror_rate: 5%\n"), "inline.yaml")
		Expect(err).NotTo(HaveOccurred())
		_, err = MeetSLA(sla).Match(readReport("crafted-current"))
		Expect(err).To(MatchError(HavePrefix("SLA inline.yaml: 2 of 3 promises could not be judged:\n" +
			`  - cannot judge "TTFT p99 < 1s": time_to_first_token p99: time_to_first_token not measured in summary`)))
		Expect(err.Error()).To(ContainSubstring(`cannot judge "request latency p99.9 < 2s": request_latency p99.9: too few samples: n=3588 + 12 failed, need >= 10000`))
		Expect(errors.Is(err, ErrInconclusive)).To(BeTrue(), "a refusal is inconclusive, not a broken promise")
	})

	It("refuses to judge a report whose load was not delivered", func() {
		sla, err := LoadSLA("testdata/production-sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		_, err = MeetSLA(sla).Match(readReport("vllm-v0.11-llama3-8b-h100"))
		Expect(err).To(MatchError(HavePrefix("SLA testdata/production-sla.yaml not judged: load not delivered: stage 4: achieved 106.5 req/s")))
	})

	It("reads the load bounds and strict mode", func() {
		sla, err := ParseSLA([]byte(`
strict: true
min_tail_samples: 20
latency: {ttft: {median: 1s}}
goodput_percentage: 90
load:
  min_achieved_ratio: 90%
  poisson_sigmas: 3
  max_schedule_lag_p50: 2ms
  max_schedule_lag_p99: 20ms
  max_in_flight_limit_hits: 5
  allow_partial: true
`), "x.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(sla.Strict).To(BeTrue())
		Expect(sla.MinTailSamples).To(Equal(20))
		Expect(sla.Load).To(Equal(LoadBounds{MinAchievedRatio: 0.9, PoissonSigmas: 3, MaxLagP50: 2 * time.Millisecond,
			MaxLagP99: 20 * time.Millisecond, MaxInFlightLimitHits: 5, AllowPartial: true}))
		Expect(sla.Promises()[2].Name).To(Equal("TTFT p50 < 1s"))
		Expect(sla.Promises()[3].Name).To(Equal("goodput > 90%"))
		// strict on report-file data is refused by the promise itself
		_, err = sla.Promises()[2].Matcher.Match(readReport("crafted-v0.6").Stages[1])
		Expect(err).To(MatchError(ContainSubstring("strict mode needs HdrHistogram data")))
	})

	DescribeTable("bad SLA files give errors naming the line, the key and the fix",
		func(yaml, want string) {
			_, err := ParseSLA([]byte(yaml), "sla.yaml")
			Expect(err).To(MatchError(want))
		},
		Entry("unknown top-level key", "latency: {ttft: {p99: 1s}}\nlatncy: {}\n",
			`sla.yaml:2: unknown key latncy (did you mean latency?); the SLA file takes error_rate, goodput_percentage, latency, load, min_tail_samples, regression, server, strict, throughput`),
		Entry("unknown metric", "latency:\n  tfft: {p99: 1s}\n",
			`sla.yaml:2: latency.tfft: unknown metric "tfft"; known: ttft, itl, tpot, ntpot, request_latency, schedule_delay, ttft_from_schedule, request_latency_from_schedule`),
		Entry("unknown percentile", "latency:\n  ttft:\n    p100: 1s\n",
			`sla.yaml:3: latency.ttft.p100: unknown percentile "p100"; write p50 (or median), p90, p95, p99, p99.9`),
		Entry("unknown load key", "error_rate: 1%\nload:\n  max_lag: 1ms\n",
			`sla.yaml:3: unknown key load.max_lag; load takes allow_partial, max_in_flight_limit_hits, max_schedule_lag_p50, max_schedule_lag_p99, min_achieved_ratio, poisson_sigmas`),
		Entry("duration without unit", "latency:\n  ttft: {p99: 1200}\n",
			`sla.yaml:2: latency.ttft.p99: 1200 has no unit; write e.g. 1200ms or 1200s`),
		Entry("not a duration", "latency:\n  ttft: {p99: fast}\n",
			`sla.yaml:2: latency.ttft.p99: want a duration such as 1200ms or 1.2s, got "fast"`),
		Entry("list instead of mapping", "latency:\n  ttft: [1s]\n",
			`sla.yaml:2: latency.ttft: want a mapping, got a list`),
		Entry("error rate as text", "error_rate: low\n",
			`sla.yaml:1: error_rate: want a number, got "low"`),
		Entry("error rate above 1", "error_rate: 5\n",
			`sla.yaml:1: error_rate: want a fraction between 0 and 1 (or a percentage like 1%), got 5`),
		Entry("an error rate that is not a number", "latency: {ttft: {p99: 1s}}\nerror_rate: NaN%\n",
			`sla.yaml:2: error_rate: want a fraction between 0 and 1 (or a percentage like 1%), got NaN%`),
		Entry("an infinite error rate", "error_rate: inf%\n",
			`sla.yaml:1: error_rate: want a fraction between 0 and 1 (or a percentage like 1%), got inf%`),
		Entry("a negative error rate", "error_rate: -1%\n",
			`sla.yaml:1: error_rate: want a fraction between 0 and 1 (or a percentage like 1%), got -1%`),
		Entry("an error rate above 100%", "error_rate: 150%\n",
			`sla.yaml:1: error_rate: want a fraction between 0 and 1 (or a percentage like 1%), got 150%`),
		Entry("a YAML NaN as error rate", "error_rate: .nan\n",
			`sla.yaml:1: error_rate: want a finite number, got ".nan"`),
		Entry("a YAML NaN as goodput", "goodput_percentage: .NaN\n",
			`sla.yaml:1: goodput_percentage: want a finite number, got ".NaN"`),
		Entry("an error rate of zero, which no run could keep", "error_rate: 0%\n",
			`sla.yaml:1: error_rate: error rate must be above 0: the promise is "below" it, so 0 could never be kept; for "no failures at all" write a bound under one request in the run, e.g. 0.01%`),
		Entry("strict as a string", "strict: \"yes\"\nerror_rate: 1%\n",
			`sla.yaml:1: strict: want true or false, got "yes"`),
		Entry("negative throughput", "throughput: {requests_per_sec: -1}\n",
			`sla.yaml:1: throughput.requests_per_sec: must not be negative, got -1`),
		Entry("duplicate key", "latency:\n  ttft: {p99: 1s}\n  ttft: {p50: 1s}\n",
			`sla.yaml:3: latency.ttft: is given twice (first on line 2); keep one`),
		Entry("no promises", "load: {allow_partial: true}\n",
			`sla.yaml: the SLA promises nothing; add latency, error_rate, throughput, goodput_percentage, server or regression`),
		Entry("empty", "",
			`sla.yaml: empty SLA file; promise at least one threshold (e.g. latency: {ttft: {p99: 1s}})`),
		Entry("a second YAML document, whose promises would be ignored", "latency: {ttft: {p99: 1s}}\n---\nerror_rate: 1%\n",
			`sla.yaml:2: a second YAML document starts here (---); put every promise in one document`),
		Entry("not YAML", "latency: {ttft: [\n",
			`sla.yaml: yaml: line 1: did not find expected node content`),
		Entry("a fractional sample count, which would be truncated", "min_tail_samples: 2.5\nerror_rate: 1%\n",
			`sla.yaml:1: min_tail_samples: 2.5 is not a whole number; give an integer`),
		Entry("a list where the promises go", "- latency\n",
			`sla.yaml:1: want a mapping, got a list`),
		Entry("a document holding only null", "~\n",
			`sla.yaml: empty SLA file; promise at least one threshold (e.g. latency: {ttft: {p99: 1s}})`),
	)

	It("names the file it could not read", func() {
		_, err := LoadSLA(filepath.Join(GinkgoT().TempDir(), "missing.yaml"))
		Expect(err).To(MatchError(ContainSubstring("load SLA: open ")))
		Expect(os.IsNotExist(err) || err != nil).To(BeTrue())
	})
})

var _ = Describe("Measured", func() {
	It("describes every promise after Match, pass or fail", func() {
		sla, err := LoadSLA("testdata/production-sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		st := readReport("vllm-v0.11-llama3-8b-h100").Stages[3]
		var got []string
		for _, p := range sla.Promises() {
			Expect(st).To(p.Matcher)
			got = append(got, p.Matcher.(Measurer).Measured())
		}
		Expect(got).To(Equal([]string{
			"stage 3: load delivered (achieved >= 95% of requested, schedule delay p50 <= 10ms and p99 <= 100ms, in-flight limit hits <= 0)",
			"stage 3 time_to_first_token p50 = 44.52ms; n=5531; p25=38.34ms p75=53.06ms; no confidence interval (report-file data)",
			"stage 3 time_to_first_token p99 = 181.8ms; n=5531; p95=80.24ms p99.9=226.8ms; no confidence interval (report-file data)",
			"stage 3 time_per_output_token p99 = 19.39ms; n=5531; p95=18.90ms p99.9=19.60ms; no confidence interval (report-file data)",
			"stage 3 request_latency p95 = 1280.5ms; n=5531; p90=1233.7ms p99=1380.6ms; no confidence interval (report-file data)",
			"stage 3 error rate = 0% (0 of 5531 failed)",
			"stage 3 output_tokens_per_sec = 5694 (5531 successes)",
		}))
	})
})
