package browser_test

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/report/browser"
	"github.com/tailgate-dev/tailgate/framework/servermetrics"
)

// realRun drives two Poisson stages against the simulated vLLM (batching
// H100 profile, 3% of requests answered 503) and writes the report files.
func realRun(ctx SpecContext, dir string) *report.Report {
	GinkgoHelper()
	sim, err := mockvllm.Start(ctx, mockvllm.Options{Model: "m", Profile: "h100-llama3-8b", Seed: 5,
		Faults: mockvllm.Faults{ErrorRate: 0.03}})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	sc, err := servermetrics.Start(ctx, servermetrics.Target{URL: sim.URL() + "/metrics", Interval: 250 * time.Millisecond})
	Expect(err).NotTo(HaveOccurred())
	from := time.Now()
	res, err := loadgen.Run(ctx, loadgen.Options{
		BaseURL: sim.URL(), Model: "m", Streaming: true, IgnoreEOS: true,
		Data: loadgen.DataMock, Load: loadgen.LoadPoisson, Seed: 9, Workers: 2, WorkerMaxConcurrency: 200,
		Stages:           []loadgen.Stage{{Rate: 10, Duration: 6 * time.Second}, {Rate: 30, Duration: 6 * time.Second}},
		LeadIn:           100 * time.Millisecond,
		TimelineInterval: 500 * time.Millisecond,
	})
	Expect(err).NotTo(HaveOccurred())
	sc.Stop(ctx)
	res.Report.Summary.Server = sc.Window(from, time.Now())
	Expect(res.Report.Summary.Server).NotTo(BeNil())
	res.Report.Summary.Server.Samples = sc.Timeline(from, time.Now())
	Expect(report.WriteDir(dir, res.Report)).To(Succeed())
	return res.Report
}

func verdictsFor(r *report.Report) []report.Verdict {
	d, _ := r.Summary.Distribution(report.TTFT)
	p99, _ := d.Percentile(99)
	return []report.Verdict{
		{Promise: "TTFT p99 < 1.2s", Outcome: report.Pass, Measured: report.FormatSeconds(p99), Metric: report.TTFT, Percentile: 99, Threshold: 1.2},
		{Promise: "request latency p95 < 50ms", Outcome: report.Fail, Measured: "over", Message: "request latency p95 is above 50ms",
			Metric: report.RequestLatency, Percentile: 95, Threshold: 0.05},
		{Promise: "error rate < 1%", Outcome: report.Fail, Measured: "3%", Message: "3% of requests failed (503 - Service Unavailable)"},
		{Promise: "load delivered", Outcome: report.Inconclusive, Message: "refused: the generator fell behind"},
	}
}

var _ = Describe("report.html in headless Chromium", Ordered, func() {
	var dir string
	var rep *report.Report
	BeforeAll(func(ctx SpecContext) {
		if _, err := browser.Find(); err != nil {
			Fail(err.Error())
		}
		dir = GinkgoT().TempDir()
		if *screenshotDir != "" {
			dir = *screenshotDir
		}
		rep = realRun(ctx, dir)
		Expect(report.WriteHTMLFile(dir, rep, verdictsFor(rep))).To(Succeed())
	}, NodeTimeout(2*time.Minute))

	It("renders without errors or network loads, and every chart draws data", func(ctx SpecContext) {
		res, err := browser.Check(ctx, filepath.Join(dir, report.HTMLFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Errors).To(BeEmpty())
		Expect(res.Resources).To(BeEmpty())
		Expect(res.Title).To(HavePrefix("tailgate report"))
		ids := map[string]browser.Chart{}
		for _, c := range res.Charts {
			ids[c.ID] = c
			Expect(c.Drew()).To(BeTrue(), "chart %s drew nothing: %+v", c.ID, c)
		}
		for _, want := range []string{
			"over-time-time_to_first_token", "over-time-inter_token_latency", "over-time-request_latency",
			"spectrum-time_to_first_token", "spectrum-request_latency", "rate", "in-flight", "errors",
			"vs-rate-time_to_first_token", "server-requests", "server-kv-cache",
		} {
			Expect(ids).To(HaveKey(want))
		}
		Expect(ids["over-time-time_to_first_token"].Series).To(Equal(2), "P50 and P99")
		Expect(ids["errors"].Bars).To(BeNumerically(">", 0))
		Expect(ids["server-requests"].Series).To(Equal(2), "waiting and running")
	}, NodeTimeout(time.Minute))

	It("redraws the server's state over time from the report directory alone", func(ctx SpecContext) {
		back, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Summary.Server).NotTo(BeNil())
		Expect(back.Summary.Server.Samples).To(HaveLen(len(rep.Summary.Server.Samples)))
		page := filepath.Join(GinkgoT().TempDir(), report.HTMLFile)
		Expect(report.WriteHTMLFile(filepath.Dir(page), back, nil)).To(Succeed())
		res, err := browser.Check(ctx, page)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Errors).To(BeEmpty())
		drawn := map[string]browser.Chart{}
		for _, c := range res.Charts {
			drawn[c.ID] = c
		}
		for _, id := range []string{"server-requests", "server-kv-cache"} {
			Expect(drawn).To(HaveKey(id))
			Expect(drawn[id].Drew()).To(BeTrue(), "chart %s drew nothing: %+v", id, drawn[id])
			// Every scrape from the load's start is drawn (the one before it only anchors the counters).
			Expect(drawn[id].Points).To(BeNumerically(">=", len(back.Summary.Server.Samples)-1), id)
		}
	}, NodeTimeout(time.Minute))

	It("shows the verdicts and the SLA thresholds", func() {
		page, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
		Expect(err).NotTo(HaveOccurred())
		s := string(page)
		Expect(s).To(ContainSubstring("TTFT p99 &lt; 1.2s"))
		Expect(s).To(ContainSubstring(`class="badge inconclusive"`))
		Expect(s).To(ContainSubstring("SLA p99 ≤ 1,200 ms"))
		Expect(strings.Count(s, `class="sla"`)).To(Equal(2), "one threshold line on TTFT and one on request latency")
		Expect(s).NotTo(MatchRegexp(`(?i)\s(src|href)=`), "nothing to fetch")
		Expect(s).NotTo(ContainSubstring("<script"))
	})

	It("keeps a screenshot a person can look at", func(ctx SpecContext) {
		png := filepath.Join(dir, "report.png")
		Expect(browser.Screenshot(ctx, filepath.Join(dir, report.HTMLFile), png, 1400, 3000)).To(Succeed())
		data, err := os.ReadFile(png)
		Expect(err).NotTo(HaveOccurred())
		Expect(data[:8]).To(Equal([]byte("\x89PNG\r\n\x1a\n")))
	}, NodeTimeout(time.Minute))
})

var _ = Describe("the browser check", func() {
	It("catches a page that fetches from the network or fails to load something", func(ctx SpecContext) {
		if _, err := browser.Find(); err != nil {
			Fail(err.Error())
		}
		page := filepath.Join(GinkgoT().TempDir(), "bad.html")
		Expect(os.WriteFile(page, []byte(`<!DOCTYPE html><html><head><title>bad</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
</head><body><img src="http://127.0.0.1:9/x.png"><svg class="chart" id="empty"></svg></body></html>`), 0o644)).To(Succeed())
		res, err := browser.Check(ctx, page)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Errors).NotTo(BeEmpty())
		Expect(strings.Join(res.Errors, "\n")).To(ContainSubstring("127.0.0.1:9"))
		Expect(res.Charts).To(HaveLen(1))
		Expect(res.Charts[0].Drew()).To(BeFalse())
	}, NodeTimeout(time.Minute))
})
