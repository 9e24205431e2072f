package report_test

import (
	"bytes"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("WriteHTML", func() {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	It("leaves the verdict table out when there are no verdicts, and escapes what it shows", func() {
		k := newKnownRun(61, start, 500, 5, 100)
		k.rep.Source = `<dir & "x">`
		var b bytes.Buffer
		Expect(report.WriteHTML(&b, k.rep, nil)).To(Succeed())
		page := b.String()
		Expect(page).NotTo(ContainSubstring("<h2>Verdicts</h2>"))
		Expect(page).To(ContainSubstring("&lt;dir &amp; &#34;x&#34;&gt;"))
		Expect(page).NotTo(ContainSubstring(`<dir & "x">`))
		b.Reset()
		Expect(report.WriteHTML(&b, k.rep, []report.Verdict{{Promise: "TTFT p99 < 1s", Outcome: report.Fail, Message: "<b>over</b>",
			Metric: report.TTFT, Percentile: 99, Threshold: 1}})).To(Succeed())
		page = b.String()
		Expect(page).To(ContainSubstring("<h2>Verdicts</h2>"))
		Expect(page).To(ContainSubstring("&lt;b&gt;over&lt;/b&gt;"))
		Expect(strings.Count(page, `class="marker"`)).To(Equal(1), "the SLA point on the TTFT spectrum")
	})

	It("draws a chart per interval series and says a report without interval logs has none over time", func() {
		var b bytes.Buffer
		Expect(report.WriteHTML(&b, newKnownRun(62, start, 500, 5, 100).rep, nil)).To(Succeed())
		Expect(b.String()).To(ContainSubstring(`id="over-time-time_to_first_token" data-series="2"`))
		r, err := report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
		b.Reset()
		Expect(report.WriteHTML(&b, r, nil)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("This report has no interval logs"))
		Expect(b.String()).NotTo(ContainSubstring(`id="over-time-`))
	})

	It("draws latencies of ten seconds and more in seconds", func() {
		h := report.NewHistogram()
		for i := 1; i <= 200; i++ {
			h.Record(5 + float64(i)/10)
		}
		st := report.Stage{ID: 0, Requests: 200, Successes: 200, Distributions: map[report.Metric]report.Distribution{report.RequestLatency: h}}
		r := &report.Report{Stages: []report.Stage{st}, Summary: st}
		var b bytes.Buffer
		Expect(report.WriteHTML(&b, r, nil)).To(Succeed())
		spectrum := b.String()[strings.Index(b.String(), `id="spectrum-request_latency"`):]
		Expect(spectrum).To(ContainSubstring(`class="yl">latency (s)</text>`))
		Expect(spectrum).To(ContainSubstring(`class="yt">25</text>`))
	})

	It("draws the baseline run beside this one on each percentile spectrum", func() {
		run, base := newKnownRun(63, start, 500, 5, 100).rep, newKnownRun(64, start, 500, 5, 100).rep
		base.Source = "baselines/production"
		var b bytes.Buffer
		Expect(report.WriteHTML(&b, run, nil)).To(Succeed())
		without := b.String()
		b.Reset()
		Expect(report.WriteHTML(&b, run, nil, base)).To(Succeed())
		with := b.String()
		Expect(with).To(ContainSubstring("The grey dashed curve is the baseline run (baselines/production)"))
		spectrum := func(page string) string {
			i := strings.Index(page, `id="spectrum-time_to_first_token"`)
			Expect(i).To(BeNumerically(">=", 0))
			return page[i : i+strings.Index(page[i:], "</svg>")]
		}
		Expect(spectrum(with)).To(ContainSubstring(">baseline<"))
		Expect(spectrum(without)).NotTo(ContainSubstring(">baseline<"))
	})
})
