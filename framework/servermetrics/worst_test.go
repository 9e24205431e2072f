package servermetrics_test

import (
	"bytes"
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("a failing latency promise against the simulated vLLM", func() {
	It("names the worst stretch from the client's timeline with the server's queue in it, in the message and in verdict.json", func(ctx SpecContext) {
		// Stage 0: 2 clients fit the batch of 4, nothing waits; stage 1: 12 clients, 8 wait.
		sim := simulator(ctx, func(p *mockvllm.Profile) { p.MaxNumSeqs = 4 })
		cfg := burst(sim.URL(), 0, 0, 64)
		cfg.Load.Stages = []scenarios.Stage{{NumRequests: 24, ConcurrencyLevel: 2}, {NumRequests: 48, ConcurrencyLevel: 12}}
		r := &framework.NativeRunner{ServerMetricsInterval: 100 * time.Millisecond, TimelineInterval: 250 * time.Millisecond}
		m, err := r.Run(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		rep := m.Report
		sla, err := matchers.ParseSLA([]byte("latency:\n  ttft: {p50: 1ms}\nload:\n  max_schedule_lag_p50: 1s\n  max_schedule_lag_p99: 5s\n"), "sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		vs := framework.Judge(sla, rep, cfg)
		var v report.Verdict
		for _, x := range vs {
			if x.Metric == report.TTFT {
				v = x
			}
		}
		Expect(v.Outcome).To(Equal(report.Fail), v.Message)
		GinkgoWriter.Println(v.Message)
		Expect(v.Worst).NotTo(BeNil())
		stage1 := rep.Stages[1].Timeline.Start.Sub(rep.Stages[0].Timeline.Start)
		Expect(v.Worst.Offset).To(BeNumerically(">=", stage1-v.Worst.Width/2), "the worst stretch is in the queueing stage")
		Expect(v.Worst.Server).NotTo(BeNil())
		Expect(v.Worst.Server.MaxWaiting).To(Equal(8.0))
		Expect(v.Message).To(ContainSubstring(v.Worst.String()))
		Expect(v.Worst.String()).To(MatchRegexp(`^worst [\d.]+m?s at t=[\d.]+s: TTFT p50 [\d.]+ms \(n=\d+\), up to 8 waiting, up to 4 running, KV cache up to [\d.]+%, 0 preemptions$`))

		j := &framework.Judgement{Name: "production", Report: rep, Verdicts: vs, Outcome: framework.Outcome(vs)}
		var doc struct {
			Promises []struct {
				Promise string `json:"promise"`
				Worst   *struct {
					Metric string  `json:"metric"`
					Start  float64 `json:"start_s"`
					Width  float64 `json:"width_s"`
					Text   string  `json:"text"`
					Server struct {
						MaxWaiting  float64 `json:"max_waiting"`
						Preemptions float64 `json:"preemptions"`
					} `json:"server"`
				} `json:"worst_interval"`
			} `json:"promises"`
		}
		for _, f := range j.Files() {
			if f.Name == framework.VerdictJSON {
				var b bytes.Buffer
				Expect(f.Write(&b)).To(Succeed())
				Expect(json.Unmarshal(b.Bytes(), &doc)).To(Succeed())
			}
		}
		found := false
		for _, p := range doc.Promises {
			if p.Promise != v.Promise {
				continue
			}
			found = true
			Expect(p.Worst).NotTo(BeNil())
			Expect(p.Worst.Metric).To(Equal(string(report.TTFT)))
			Expect(p.Worst.Start).To(BeNumerically("~", v.Worst.Offset.Seconds(), 1e-9))
			Expect(p.Worst.Text).To(Equal(v.Worst.String()))
			Expect(p.Worst.Server.MaxWaiting).To(Equal(8.0))
		}
		Expect(found).To(BeTrue(), "verdict.json has the promise %q", v.Promise)
	}, SpecTimeout(2*time.Minute))
})
