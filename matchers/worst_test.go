package matchers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	. "github.com/tailgate-dev/tailgate/matchers"
)

// spikeRun is a 40 s delivered stage whose first tokens take 100 ms, except
// in the two intervals from 30 s, where they take 2 s; the server's scrapes
// (one a second) show 87 requests waiting, the KV cache 98% full and 12
// preemptions at 31 s only.
func spikeRun(start time.Time) *report.Report {
	GinkgoHelper()
	tl := &report.Timeline{Start: start, Interval: time.Second}
	whole := report.NewHistogram()
	lag := report.NewHistogram()
	var samples []report.ServerSample
	for i := range 40 {
		iv := report.Interval{Start: time.Duration(i) * time.Second, Length: time.Second, Sent: 100, Completed: 100}
		h := report.NewHistogram()
		v := 0.1
		if i == 30 || i == 31 {
			v = 2
		}
		for range 100 {
			h.Record(v)
			whole.Record(v)
			lag.Record(0.0002)
		}
		Expect(iv.SetHistogram(report.TTFT, h)).To(Succeed())
		tl.Intervals = append(tl.Intervals, iv)
		s := report.ServerSample{At: start.Add(time.Duration(i) * time.Second), Waiting: 0, Running: 4, KVCacheUsage: 0.3}
		if i >= 31 {
			s.Preemptions = 12
		}
		if i == 31 {
			s.Waiting, s.KVCacheUsage = 87, 0.98
		}
		samples = append(samples, s)
	}
	st := report.Stage{ID: 0, RequestedRate: 100, AchievedRate: 100, Requests: 4000, Successes: 4000,
		Distributions: map[report.Metric]report.Distribution{report.TTFT: whole, report.ScheduleDelay: lag}, Timeline: tl,
		Server: &report.ServerMetrics{Source: report.ServerFromScrape, Series: 1, Samples: samples}}
	sum := st
	sum.ID, sum.Timeline = -1, nil
	return &report.Report{Stages: []report.Stage{st}, Summary: sum}
}

var _ = Describe("a failing latency promise names its worst interval", func() {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	It("from the client's interval histograms, with the server's state in it", func() {
		rep := spikeRun(start)
		m := HaveP99TTFTBelow(500 * time.Millisecond).WithLoadBounds(looseBounds())
		ok, err := m.Match(rep)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		w := m.Result().Worst
		Expect(w).NotTo(BeNil())
		Expect(w.Width).To(Equal(10 * time.Second))
		Expect(w.Offset).To(BeNumerically(">=", 22*time.Second), "the stretch holds both slow intervals")
		Expect(w.Offset).To(BeNumerically("<=", 30*time.Second))
		Expect(w.Value).To(BeNumerically("~", 2, 0.01))
		Expect(w.Server).NotTo(BeNil())
		Expect(w.Server.MaxWaiting).To(Equal(87.0))
		Expect(w.Server.Preemptions).To(Equal(12.0))
		Expect(m.FailureMessage(rep)).To(MatchRegexp(
			`; worst 10s at t=\d+s: TTFT p99 200\d\.\dms \(n=1000\), up to 87 waiting, up to 4 running, KV cache up to 98%, 12 preemptions`))
	})

	It("in every stage judged on its own", func() {
		rep := spikeRun(start)
		m := HaveP99TTFTBelow(500 * time.Millisecond).WithLoadBounds(looseBounds())
		ok, err := m.Match(rep.Stages[0])
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(m.FailureMessage(rep.Stages[0])).To(ContainSubstring("up to 87 waiting"))
	})

	It("only when the promise fails", func() {
		rep := spikeRun(start)
		m := HaveP99TTFTBelow(3 * time.Second).WithLoadBounds(looseBounds())
		Expect(m.Match(rep)).To(BeTrue())
		Expect(m.Result().Worst).To(BeNil())
	})

	It("searches a third of a run shorter than three widths, and says nothing of a run of a few intervals", func() {
		rep := spikeRun(start)
		rep.Stages[0].Timeline.Intervals = rep.Stages[0].Timeline.Intervals[18:]
		w, err := report.WorstOver(rep.Stages, nil, report.TTFT, 99, report.DefaultWorstWidth, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Width).To(Equal(7*time.Second), "22 s of intervals")
		Expect(w.Server).To(BeNil())
		rep.Stages[0].Timeline.Intervals = rep.Stages[0].Timeline.Intervals[:5]
		Expect(report.WorstOver(rep.Stages, nil, report.TTFT, 99, report.DefaultWorstWidth, nil)).To(BeNil())
	})
})
