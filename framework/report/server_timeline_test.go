package report_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// withServerSamples gives k's summary and stage server metrics one sample
// a second over the run: waiting climbs by one a second, KV usage by 5%,
// and two preemptions happen between the scrapes at 6 s and 7 s.
func withServerSamples(k knownRun, start time.Time, seconds int) []report.ServerSample {
	var samples []report.ServerSample
	for i := 0; i <= seconds; i++ {
		pre := 0.0
		if i >= 7 {
			pre = 2
		}
		samples = append(samples, report.ServerSample{At: start.Add(time.Duration(i) * time.Second),
			Waiting: float64(i), Running: 4, KVCacheUsage: 0.05 * float64(i), Preemptions: pre})
	}
	samples[3].KVCacheUsage = math.NaN() // one scrape without the gauge
	k.rep.Summary.Server = &report.ServerMetrics{Source: report.ServerFromScrape, Series: 1, Samples: samples}
	k.rep.Stages[0].Server = &report.ServerMetrics{Source: report.ServerFromScrape, Series: 1, Samples: samples}
	return samples
}

var _ = Describe("the server timeline", func() {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	It("is written beside the report and read back, sample for sample, onto the summary and the stage", func() {
		k := newKnownRun(71, start, 500, 10, 50)
		samples := withServerSamples(k, start, 10)
		dir := writeKnown(k)
		Expect(filepath.Join(dir, report.ServerTimelineFile)).To(BeARegularFile())
		back, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		got := back.Summary.Server.Samples
		Expect(got).To(HaveLen(len(samples)))
		for i, s := range samples {
			Expect(got[i].At.Equal(s.At)).To(BeTrue())
			Expect(got[i].Waiting).To(Equal(s.Waiting))
			Expect(got[i].Preemptions).To(Equal(s.Preemptions))
			if i == 3 {
				Expect(math.IsNaN(got[i].KVCacheUsage)).To(BeTrue(), "an absent gauge stays absent")
				continue
			}
			Expect(got[i].KVCacheUsage).To(Equal(s.KVCacheUsage))
		}
		Expect(back.Stages[0].Server.Samples).To(HaveLen(len(samples)))
	})

	It("gives the server's state over a span: peaks of the scrapes inside it, preemptions between them", func() {
		k := newKnownRun(72, start, 500, 10, 50)
		samples := withServerSamples(k, start, 10)
		st, ok := report.StateOver(samples, start.Add(5*time.Second), start.Add(8*time.Second))
		Expect(ok).To(BeTrue())
		Expect(st.MaxWaiting).To(Equal(8.0))
		Expect(st.MaxKVCacheUsage).To(BeNumerically("~", 0.4, 1e-12))
		Expect(st.Preemptions).To(Equal(2.0))
		Expect(st.Scrapes).To(Equal(4))
		st, _ = report.StateOver(samples, start, start.Add(5*time.Second))
		Expect(st.Preemptions).To(Equal(0.0))
		_, ok = report.StateOver(samples, start.Add(time.Hour), start.Add(2*time.Hour))
		Expect(ok).To(BeFalse())
	})

	It("refuses a line it does not understand, naming the file and the line", func() {
		k := newKnownRun(73, start, 500, 10, 50)
		withServerSamples(k, start, 10)
		dir := writeKnown(k)
		Expect(os.WriteFile(filepath.Join(dir, report.ServerTimelineFile), []byte("{\"unix_ms\": 1}\n{\"waiting\": \"many\"}\n"), 0o644)).To(Succeed())
		_, err := report.ReadDir(dir)
		Expect(err).To(MatchError(ContainSubstring(report.ServerTimelineFile + " line 2")))
	})

	It("draws the server charts in report.html only when the run has server samples", func() {
		k := newKnownRun(74, start, 500, 10, 50)
		var b bytes.Buffer
		Expect(report.WriteHTML(&b, k.rep, nil)).To(Succeed())
		Expect(b.String()).NotTo(ContainSubstring("Server over time"))
		withServerSamples(k, start, 10)
		b.Reset()
		Expect(report.WriteHTML(&b, k.rep, nil)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("Server over time"))
		Expect(b.String()).To(ContainSubstring(`id="server-requests" data-series="2"`))
		Expect(b.String()).To(ContainSubstring(`id="server-kv-cache"`))
		Expect(b.String()).To(ContainSubstring(`id="server-preemptions"`))
	})

	It("adds the server's peaks per interval to the timeline table", func() {
		k := newKnownRun(75, start, 500, 10, 50)
		withServerSamples(k, start, 10)
		var b bytes.Buffer
		Expect(k.rep.WriteTimeline(&b)).To(Succeed())
		Expect(b.String()).To(MatchRegexp(`waiting\s+KV cache\s+preempted\s*\n`))
		// The interval from 6 s holds the scrapes at 6 s and 7 s: 7 waiting, 35%, the two preemptions between them.
		Expect(b.String()).To(MatchRegexp(`(?m)^\s*0\s+6\.0s\s.*\s7\s+35%\s+2\s*$`))
	})

	It("marks a failed promise's worst stretch on the latency chart", func() {
		k := newKnownRun(76, start, 500, 10, 50)
		w, err := report.WorstOver(k.rep.Stages, nil, report.TTFT, 99, report.DefaultWorstWidth, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(w).NotTo(BeNil())
		Expect(w.Offset).To(BeNumerically(">=", 6*time.Second), "TTFT grows interval by interval: the worst stretch is the last")
		v := report.Verdict{Promise: "TTFT p99 < 1ms", Outcome: report.Fail, Metric: report.TTFT, Percentile: 99, Threshold: 0.001, Worst: w}
		var b bytes.Buffer
		Expect(report.WriteHTML(&b, k.rep, []report.Verdict{v})).To(Succeed())
		page := b.String()
		chart := page[strings.Index(page, `id="over-time-time_to_first_token"`):]
		chart = chart[:strings.Index(chart, "</svg>")]
		Expect(chart).To(ContainSubstring(">worst p99: 3s from here<"))
		Expect(page[strings.Index(page, `id="over-time-request_latency"`):]).NotTo(ContainSubstring("worst p99"))
	})
})
