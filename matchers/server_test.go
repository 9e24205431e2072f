package matchers_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/report"
	. "github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

const serverSLA = `server:
  preemptions: {max: 0}
  kv_cache_usage: {max: 95%}
  queue_time: {p99: 500ms}
`

// preemptingRun runs 16 clients against a simulated vLLM whose KV cache
// holds 1024 tokens while the batch needs 4096, so the scheduler preempts.
func preemptingRun(ctx SpecContext, mode string) *report.Report {
	GinkgoHelper()
	prof := mockvllm.Qwen3_8B_H100()
	prof.MaxNumSeqs, prof.MaxModelLen, prof.NumGPUBlocks = 16, 512, 64
	sim, err := mockvllm.Start(ctx, mockvllm.Options{Model: "qwen3-8b", CustomProfile: &prof, Seed: 3})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	cfg := framework.ApplySettings(scenarios.Production(), framework.Settings{TargetURL: sim.URL()})
	cfg.Load.Type = scenarios.LoadConcurrent
	cfg.Load.Stages = []scenarios.Stage{{NumRequests: 32, ConcurrencyLevel: 16}}
	cfg.Data.InputDistribution = &scenarios.Distribution{Type: scenarios.DistFixed, Min: 64, Max: 64, Mean: 64}
	cfg.Data.OutputDistribution = &scenarios.Distribution{Type: scenarios.DistFixed, Min: 192, Max: 192, Mean: 192}
	m, err := (&framework.NativeRunner{ServerMetrics: mode, ServerMetricsInterval: 200 * time.Millisecond}).Run(ctx, cfg)
	rep := m.Report
	Expect(err).NotTo(HaveOccurred())
	return rep
}

var _ = Describe("the SLA's server block", func() {
	It("makes each bound its own promise, named after the figure", func() {
		sla, err := ParseSLA([]byte(serverSLA), "sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, p := range sla.Promises() {
			if !p.Implied {
				names = append(names, p.Name)
			}
		}
		Expect(names).To(Equal([]string{
			"server preemptions <= 0", "server KV-cache usage max <= 95%", "server queue time p99 <= 500ms",
		}))
	})

	DescribeTable("refuses a bad server block, naming the key",
		func(yaml, want string) {
			_, err := ParseSLA([]byte(yaml), "sla.yaml")
			Expect(err).To(MatchError(want))
		},
		Entry("unknown figure", "server: {swap: {max: 0}}\n",
			`sla.yaml:1: server.swap: unknown server figure "swap"; known: itl, kv_cache_usage, preemptions, queue_time, request_latency, running, tpot, ttft, waiting`),
		Entry("a percentile the server histograms cannot answer", "server: {queue_time: {p95: 1s}}\n",
			`sla.yaml:1: server.queue_time.p95: server queue_time has no "p95"; bound one of: mean, median, p50, p90, p99`),
		Entry("a latency without a unit", "server: {ttft: {p99: 2}}\n",
			`sla.yaml:1: server.ttft.p99: 2 has no unit; write e.g. 2ms or 2s`),
	)

	It("fails against a simulator that preempts, with the server's state in the message", func(ctx SpecContext) {
		rep := preemptingRun(ctx, framework.ServerMetricsScrape)
		sla, err := ParseSLA([]byte(serverSLA), "sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		m := MeetSLA(sla)
		ok, err := m.Match(rep)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		GinkgoWriter.Println(m.FailureMessage(rep))
		Expect(m.FailureMessage(rep)).To(MatchRegexp(`server preemptions <= 0: summary server preemptions = [1-9]\d* \(up to \d+ waiting, KV cache up to [\d.]+%, [1-9]\d* preemptions\), want preemptions <= 0`))
	}, SpecTimeout(2*time.Minute))

	It("puts the server's state in a latency failure", func(ctx SpecContext) {
		rep := preemptingRun(ctx, framework.ServerMetricsScrape)
		m := HaveP50TTFTBelow(time.Millisecond)
		Expect(m.Match(rep)).To(BeFalse())
		GinkgoWriter.Println(m.FailureMessage(rep))
		Expect(m.FailureMessage(rep)).To(MatchRegexp(`; server \(scrape, 1 series\): TTFT p99 ≈ [\d.]+m?s, up to \d+ waiting, .*KV cache up to [\d.]+%, [1-9]\d* preemptions`))
	}, SpecTimeout(2*time.Minute))

	It("is refused, not passed, when the run collected no server metrics", func(ctx SpecContext) {
		rep := preemptingRun(ctx, framework.ServerMetricsOff)
		sla, err := ParseSLA([]byte(serverSLA), "sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		ok, err := MeetSLA(sla).Match(rep)
		Expect(ok).To(BeFalse())
		Expect(errors.Is(err, ErrInconclusive)).To(BeTrue(), "%v", err)
		Expect(err).To(MatchError(ContainSubstring("no server metrics were collected")))
	}, SpecTimeout(2*time.Minute))
})
