package servermetrics_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// ttftBounds are vLLM's time_to_first_token_seconds bucket bounds.
var ttftBounds = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0,
	2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0}

// burst is a closed-loop scenario: concurrency clients each sending
// requests of 64 prompt and out output tokens until n have been sent.
func burst(url string, n, concurrency, out int) scenarios.Config {
	cfg := framework.ApplySettings(scenarios.Production(), framework.Settings{TargetURL: url})
	cfg.Load.Type = scenarios.LoadConcurrent
	cfg.Load.Stages = []scenarios.Stage{{NumRequests: n, ConcurrencyLevel: concurrency}}
	cfg.Data.InputDistribution = &scenarios.Distribution{Type: scenarios.DistFixed, Min: 64, Max: 64, Mean: 64}
	cfg.Data.OutputDistribution = &scenarios.Distribution{Type: scenarios.DistFixed, Min: out, Max: out, Mean: float64(out)}
	return cfg
}

// simulator starts a simulated vLLM with the production profile changed by tune.
func simulator(ctx SpecContext, tune func(*mockvllm.Profile)) *mockvllm.Server {
	prof := mockvllm.Qwen3_8B_H100()
	tune(&prof)
	sim, err := mockvllm.Start(ctx, mockvllm.Options{Model: "qwen3-8b", CustomProfile: &prof, Seed: 7})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	return sim
}

func stat(m *report.ServerMetrics, name, s string) float64 {
	GinkgoHelper()
	v, ok := m.Get(name, s)
	Expect(ok).To(BeTrue(), "%s.%s missing from %s", name, s, m.JSON())
	return v
}

// bucketWidth is the width of the TTFT bucket holding v.
func bucketWidth(v float64) float64 {
	lower := 0.0
	for _, b := range ttftBounds {
		if v <= b {
			return b - lower
		}
		lower = b
	}
	return v
}

var _ = Describe("scraping the simulated vLLM during a native run", func() {
	It("reports the queue, the batch, the requests and server TTFT the simulator saw", func(ctx SpecContext) {
		// 12 clients against a batch of 4: 8 requests wait whenever every client is in flight.
		sim := simulator(ctx, func(p *mockvllm.Profile) { p.MaxNumSeqs = 4 })
		r := &framework.NativeRunner{ServerMetricsInterval: 200 * time.Millisecond}
		m, err := r.Run(ctx, burst(sim.URL(), 48, 12, 64))
		rep := m.Report
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Stages).To(HaveLen(1))
		for _, m := range []*report.ServerMetrics{rep.Summary.Server, rep.Stages[0].Server} {
			Expect(m).NotTo(BeNil())
			Expect(m.Source).To(Equal(report.ServerFromScrape))
			Expect(m.Series).To(Equal(1))
			Expect(stat(m, report.ServerWaiting, "max")).To(Equal(8.0))
			Expect(stat(m, report.ServerRunning, "max")).To(Equal(4.0))
		}
		sum := rep.Summary.Server
		var ttfts []float64
		for _, t := range sim.Truths() {
			ttfts = append(ttfts, t.FirstTokenWritten.Sub(t.Admitted).Seconds())
		}
		Expect(stat(sum, report.ServerRequestCount, "")).To(BeEquivalentTo(len(ttfts)))
		Expect(stat(sum, report.ServerTTFT, "count")).To(BeEquivalentTo(len(ttfts)))
		Expect(stat(sum, report.ServerPreemptions, "total")).To(BeZero())
		sort.Float64s(ttfts)
		for _, p := range []struct {
			stat string
			q    float64
		}{{"median", 0.5}, {"p90", 0.9}} {
			truth := ttfts[int(p.q*float64(len(ttfts)-1))]
			Expect(stat(sum, report.ServerTTFT, p.stat)).To(BeNumerically("~", truth, bucketWidth(truth)), p.stat)
		}
		Expect(stat(sum, report.ServerOutputLen, "mean")).To(BeNumerically("~", 64, 1))
	}, SpecTimeout(120*time.Second))

	It("gives each stage its own window", func(ctx SpecContext) {
		// Stage 0: 2 clients fit the batch of 4, so a request waits only from its
		// arrival to the next scheduler step, as in vLLM (at most the 2 clients'
		// requests at once); stage 1: 12 clients, 8 wait.
		sim := simulator(ctx, func(p *mockvllm.Profile) { p.MaxNumSeqs = 4 })
		cfg := burst(sim.URL(), 0, 0, 64)
		cfg.Load.Stages = []scenarios.Stage{{NumRequests: 16, ConcurrencyLevel: 2}, {NumRequests: 48, ConcurrencyLevel: 12}}
		m, err := (&framework.NativeRunner{ServerMetricsInterval: 200 * time.Millisecond}).Run(ctx, cfg)
		rep := m.Report
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Stages).To(HaveLen(2))
		Expect(stat(rep.Stages[0].Server, report.ServerWaiting, "max")).To(BeNumerically("<=", 2), "stage 1's queue must not leak into stage 0's window")
		Expect(stat(rep.Stages[0].Server, report.ServerRunning, "max")).To(Equal(2.0))
		Expect(stat(rep.Stages[1].Server, report.ServerWaiting, "max")).To(Equal(8.0))
		Expect(stat(rep.Summary.Server, report.ServerRequestCount, "")).To(Equal(64.0))
		Expect(stat(rep.Stages[0].Server, report.ServerRequestCount, "") + stat(rep.Stages[1].Server, report.ServerRequestCount, "")).To(Equal(64.0))
	}, SpecTimeout(2*time.Minute))

	It("counts every preemption of a simulator whose KV cache is too small", func(ctx SpecContext) {
		// 16 sequences of 64+192 tokens need 4096 tokens of KV cache; it holds 1024.
		sim := simulator(ctx, func(p *mockvllm.Profile) {
			p.MaxNumSeqs, p.MaxModelLen, p.NumGPUBlocks = 16, 512, 64
		})
		m, err := (&framework.NativeRunner{ServerMetricsInterval: 200 * time.Millisecond}).Run(ctx, burst(sim.URL(), 32, 16, 192))
		rep := m.Report
		Expect(err).NotTo(HaveOccurred())
		truth := 0
		for _, t := range sim.Truths() {
			truth += t.Preemptions
		}
		Expect(truth).To(BeNumerically(">", 0))
		Expect(stat(rep.Summary.Server, report.ServerPreemptions, "total")).To(BeEquivalentTo(truth))
		Expect(stat(rep.Stages[0].Server, report.ServerPreemptions, "total")).To(BeEquivalentTo(truth))
		Expect(stat(rep.Summary.Server, report.ServerKVCacheUsage, "max")).To(BeNumerically(">", 0.9))
	}, SpecTimeout(120*time.Second))

	DescribeTable("says in the summary when first tokens lose time before the server's engine",
		func(ctx SpecContext, frontend time.Duration, wantNote bool) {
			sim := simulator(ctx, func(p *mockvllm.Profile) { p.FrontendDelay = frontend })
			m, err := (&framework.NativeRunner{ServerMetricsInterval: 200 * time.Millisecond}).Run(ctx, burst(sim.URL(), 24, 4, 16))
			rep := m.Report
			Expect(err).NotTo(HaveOccurred())
			var text strings.Builder
			Expect(rep.WriteText(&text)).To(Succeed())
			GinkgoWriter.Println(text.String())
			Expect(text.String()).To(ContainSubstring("summary server (scrape, 1 series): TTFT p99 ≈ "))
			if !wantNote {
				Expect(rep.Summary.TTFTCrossCheck()).To(BeEmpty())
				return
			}
			Expect(rep.Summary.TTFTCrossCheck()).To(MatchRegexp(`^TTFT median: client [\d.]+ms, server ≈ [\d.]+ms \(from histogram buckets\): [\d.]+ms of each first token is spent before the server's engine`))
			Expect(text.String()).To(ContainSubstring(rep.Summary.TTFTCrossCheck()))
		},
		Entry("an API frontend that takes 150 ms", 150*time.Millisecond, true, SpecTimeout(2*time.Minute)),
		Entry("no frontend delay", time.Duration(0), false, SpecTimeout(2*time.Minute)),
	)

	It("collects nothing when switched off", func(ctx SpecContext) {
		sim := simulator(ctx, func(*mockvllm.Profile) {})
		r := &framework.NativeRunner{ServerMetrics: framework.ServerMetricsOff}
		m, err := r.Run(ctx, burst(sim.URL(), 4, 2, 8))
		rep := m.Report
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Summary.Server).To(BeNil())
		Expect(rep.Stages[0].Server).To(BeNil())
	}, SpecTimeout(60*time.Second))

	It("fails before the load when scrape is asked for and the target is not vLLM", func(ctx SpecContext) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/metrics" {
				fmt.Fprintln(w, "# TYPE http_requests_total counter\nhttp_requests_total 3")
				return
			}
			http.NotFound(w, r)
		}))
		DeferCleanup(srv.Close)
		r := &framework.NativeRunner{ServerMetrics: framework.ServerMetricsScrape, SkipPreflight: true}
		cfg := burst(srv.URL, 4, 2, 8)
		cfg.Server.ModelName = "qwen3-8b"
		_, err := r.Run(ctx, cfg)
		Expect(err).To(MatchError(And(ContainSubstring(framework.EnvServerMetrics), ContainSubstring("vllm:num_requests_running"))))
	}, SpecTimeout(60*time.Second))

	It("refuses a Prometheus scrape interval under a second, naming the setting", func() {
		_, err := framework.SettingsFromEnv(func(k string) string {
			if k == framework.EnvPrometheusInterval {
				return "500ms"
			}
			return ""
		})
		Expect(err).To(MatchError(ContainSubstring("TAILGATE_PROMETHEUS_SCRAPE_INTERVAL=\"500ms\": want")))
	})

	It("refuses an unknown TAILGATE_SERVER_METRICS value, naming it", func() {
		_, err := framework.SettingsFromEnv(func(k string) string {
			if k == framework.EnvServerMetrics {
				return "sometimes"
			}
			return ""
		})
		Expect(err).To(MatchError(And(ContainSubstring("TAILGATE_SERVER_METRICS"), ContainSubstring("scrape or off"))))
	})
})
