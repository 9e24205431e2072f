package report_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// knownRun builds a one-stage report of n requests spread over intervals of
// one second starting at start, with every tenth request failed ("503 -
// Service Unavailable"); samples returns the latencies of every success, so
// a spec can compute the true distribution itself.
type knownRun struct {
	rep     *report.Report
	samples map[report.Metric][]float64
}

func newKnownRun(seed uint64, start time.Time, n, intervals int, rate float64) knownRun {
	rng := rand.New(rand.NewPCG(seed, 7))
	k := knownRun{samples: map[report.Metric][]float64{}}
	whole := map[report.Metric]*report.Histogram{}
	for _, m := range report.TimelineMetrics() {
		whole[m] = report.NewHistogram(report.MetricKind(m))
	}
	t := &report.Timeline{Start: start, Interval: time.Second}
	st := report.Stage{ID: 0, RequestedRate: rate, FailuresByLabel: map[string]report.FailureLabel{}}
	per := n / intervals
	for i := 0; i < intervals; i++ {
		iv := report.Interval{Start: time.Duration(i) * time.Second, Length: time.Second, InFlight: int64(i % 3)}
		cur := map[report.Metric]*report.Histogram{}
		for _, m := range report.TimelineMetrics() {
			cur[m] = report.NewHistogram(report.MetricKind(m))
		}
		for j := 0; j < per; j++ {
			iv.Sent++
			iv.Completed++
			st.Requests++
			cur[report.ScheduleDelay].Record(rng.Float64() * 1e-3)
			if (i*per+j)%10 == 9 {
				iv.Failed++
				st.Failures++
				if iv.FailuresByLabel == nil {
					iv.FailuresByLabel = map[string]int64{}
				}
				iv.FailuresByLabel["503 - Service Unavailable"]++
				cur[report.FailedRequestLatency].Record(0.01 + rng.Float64()*0.01)
				continue
			}
			st.Successes++
			// A slow drift: latency grows with the interval, with a heavy tail.
			ttft := 0.05 + 0.01*float64(i) + rng.ExpFloat64()*0.02
			lat := ttft + 1 + rng.Float64()
			out := int64(50 + rng.IntN(200))
			iv.OutputTokens += out
			st.OutputTokensTotal += out
			for m, v := range map[report.Metric]float64{report.TTFT: ttft, report.RequestLatency: lat, report.OutputTokens: float64(out)} {
				cur[m].Record(v)
				k.samples[m] = append(k.samples[m], v)
			}
		}
		for m, h := range cur {
			whole[m].Merge(h)
			Expect(iv.SetHistogram(m, h)).To(Succeed())
		}
		t.Intervals = append(t.Intervals, iv)
	}
	fl := st.FailuresByLabel["503 - Service Unavailable"]
	fl.Count = st.Failures
	st.FailuresByLabel["503 - Service Unavailable"] = fl
	st.Distributions = map[report.Metric]report.Distribution{}
	for m, h := range whole {
		if h.Count() > 0 {
			st.Distributions[m] = h
		}
	}
	st.Duration = time.Duration(intervals) * time.Second
	st.SendDuration = st.Duration
	st.AchievedRate = float64(st.Requests) / st.SendDuration.Seconds()
	st.Timeline = t
	sum := st
	sum.ID, sum.Timeline = -1, nil
	k.rep = &report.Report{Summary: sum, Stages: []report.Stage{st}, Source: "known"}
	return k
}

func writeKnown(k knownRun) string {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	Expect(report.WriteDir(dir, k.rep)).To(Succeed())
	return dir
}

var _ = Describe("interval histogram logs", func() {
	start := time.Date(2026, 5, 1, 12, 0, 0, 250e6, time.UTC)

	It("are standard HdrHistogram logs whose counts, read by hdrhistogram-go alone, equal the report's", func() {
		k := newKnownRun(1, start, 2000, 10, 200)
		dir := writeKnown(k)
		logs, err := filepath.Glob(filepath.Join(dir, "*.hlog"))
		Expect(err).NotTo(HaveOccurred())
		Expect(logs).To(ContainElement(filepath.Join(dir, "stage_0_time_to_first_token.hlog")))
		Expect(filepath.Join(dir, "stage_0_timeline.jsonl")).To(BeARegularFile())
		total := map[string]int64{}
		for _, path := range logs {
			data, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(data)).To(ContainSubstring("#[StartTime: 1777636800 "))
			Expect(string(data)).To(ContainSubstring("#[BaseTime: 1777636800 "))
			Expect(string(data)).To(MatchRegexp(`#tailgate interval log: stage 0, \S+; values in (microseconds|tokens)`))
			f, err := os.Open(path)
			Expect(err).NotTo(HaveOccurred())
			lr := hdrhistogram.NewHistogramLogReader(f)
			intervals := 0
			for {
				h, err := lr.NextIntervalHistogram()
				Expect(err).NotTo(HaveOccurred())
				if h == nil {
					break
				}
				Expect(h.StartTimeMs()).To(Equal(start.UnixMilli() + int64(intervals)*1000))
				total[filepath.Base(path)] += h.TotalCount()
				intervals++
			}
			f.Close()
			Expect(intervals).To(Equal(10), path)
		}
		s := k.rep.Stages[0]
		Expect(total["stage_0_schedule_delay.hlog"]).To(Equal(s.Requests))
		Expect(total["stage_0_request_latency.hlog"]).To(Equal(s.Successes))
		Expect(total["stage_0_time_to_first_token.hlog"]).To(Equal(s.Successes))
		Expect(total["stage_0_failures.request_latency.hlog"]).To(Equal(s.Failures))
	})

	It("read back, answer any percentile exactly as recorded, with the exact mean, min and max", func() {
		k := newKnownRun(2, start, 3000, 6, 500)
		r, err := report.ReadDir(writeKnown(k))
		Expect(err).NotTo(HaveOccurred())
		for _, st := range []report.Stage{r.Stages[0], r.Summary} {
			want := k.rep.Stages[0].Distributions[report.TTFT]
			got, ok := st.Distribution(report.TTFT)
			Expect(ok).To(BeTrue())
			Expect(got.Exact()).To(BeNil(), "a histogram answers any percentile")
			Expect(got.Count()).To(Equal(want.Count()))
			for _, p := range []float64{1, 37.5, 50, 99, 99.9, 99.99, 100} {
				w, _ := want.Percentile(p)
				g, err := got.Percentile(p)
				Expect(err).NotTo(HaveOccurred())
				Expect(g).To(Equal(w), "p%g", p)
			}
			Expect(got.Mean()).To(BeNumerically("~", want.Mean(), 1e-12))
			Expect(got.Min()).To(BeNumerically("~", want.Min(), 1e-12))
			Expect(got.Max()).To(BeNumerically("~", want.Max(), 1e-12))
		}
		t := r.Stages[0].Timeline
		Expect(t).NotTo(BeNil())
		Expect(t.Start.UnixMilli()).To(Equal(start.UnixMilli()))
		Expect(t.Intervals).To(HaveLen(6))
		for i, iv := range t.Intervals {
			orig := k.rep.Stages[0].Timeline.Intervals[i]
			Expect(iv.Sent).To(Equal(orig.Sent))
			Expect(iv.Failed).To(Equal(orig.Failed))
			Expect(iv.FailuresByLabel).To(Equal(orig.FailuresByLabel))
			Expect(iv.Count(report.TTFT)).To(Equal(orig.Count(report.TTFT)))
			w, _, _ := orig.Percentile(report.TTFT, 99)
			g, ok, err := iv.Percentile(report.TTFT, 99)
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			Expect(g).To(Equal(w))
		}
	})

	It("refuse to be read without the timeline file beside them, naming it", func() {
		dir := writeKnown(newKnownRun(3, start, 100, 2, 50))
		Expect(os.Remove(filepath.Join(dir, "stage_0_timeline.jsonl"))).To(Succeed())
		_, err := report.ReadDir(dir)
		Expect(err).To(MatchError(ContainSubstring("stage_0_timeline.jsonl is missing")))
	})

	It("leave a directory of inference-perf files as it was: only its percentiles, named when another is asked", func() {
		r, err := report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Stages[0].Timeline).To(BeNil())
		d, ok := r.Summary.Distribution(report.TTFT)
		Expect(ok).To(BeTrue())
		_, err = d.Percentile(99.99)
		Expect(err).To(MatchError(ContainSubstring("available: p0.1, p1, p5")))
	})
})

var _ = Describe("Merge", func() {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

	It("of two runs' directories gives exactly the histogram of their union", func() {
		a := newKnownRun(11, start, 4000, 8, 500)
		b := newKnownRun(12, start.Add(time.Hour), 2000, 4, 500)
		ra, err := report.ReadDir(writeKnown(a))
		Expect(err).NotTo(HaveOccurred())
		rb, err := report.ReadDir(writeKnown(b))
		Expect(err).NotTo(HaveOccurred())
		m, err := report.Merge(ra, rb)
		Expect(err).NotTo(HaveOccurred())

		for _, metric := range []report.Metric{report.TTFT, report.RequestLatency, report.OutputTokens} {
			union := report.NewHistogram(report.MetricKind(metric))
			for _, v := range append(append([]float64{}, a.samples[metric]...), b.samples[metric]...) {
				union.Record(v)
			}
			for _, st := range []report.Stage{m.Stages[0], m.Summary} {
				got, ok := st.Distribution(metric)
				Expect(ok).To(BeTrue())
				Expect(got.Count()).To(Equal(union.Count()))
				for p := 0.5; p <= 100; p += 0.5 {
					w, _ := union.Percentile(p)
					g, err := got.Percentile(p)
					Expect(err).NotTo(HaveOccurred())
					Expect(g).To(Equal(w), "%s p%g", metric, p)
				}
				for _, p := range []float64{99.9, 99.99, 99.999} {
					w, _ := union.Percentile(p)
					Expect(got.Percentile(p)).To(Equal(w), "%s p%g", metric, p)
				}
				Expect(got.Mean()).To(BeNumerically("~", union.Mean(), 1e-9))
				Expect(got.Min()).To(Equal(union.Min()))
				Expect(got.Max()).To(Equal(union.Max()))
			}
		}
		s := m.Stages[0]
		Expect(s.Requests).To(Equal(int64(6000)))
		Expect(s.Failures).To(Equal(ra.Stages[0].Failures + rb.Stages[0].Failures))
		Expect(s.FailuresByLabel["503 - Service Unavailable"].Count).To(Equal(s.Failures))
		// Repeated runs an hour apart: the windows add up and the rate is kept.
		Expect(s.Duration).To(Equal(12 * time.Second))
		Expect(s.RequestedRate).To(Equal(500.0))
		Expect(s.AchievedRate).To(BeNumerically("~", 500, 1e-9))
		Expect(s.Throughput.RequestsPerSec).To(BeNumerically("~", float64(s.Successes)/12, 1e-9))
		Expect(s.Timeline.Intervals).To(HaveLen(8))
		Expect(s.Timeline.Intervals[0].Sent).To(Equal(int64(1000)))
		Expect(s.Timeline.Intervals[7].Sent).To(Equal(int64(500)))
	})

	It("of shards that ran at the same time unites their windows and adds their rates", func() {
		a := newKnownRun(21, start, 1000, 5, 100)
		b := newKnownRun(22, start.Add(20*time.Millisecond), 1000, 5, 100)
		m, err := report.Merge(a.rep, b.rep)
		Expect(err).NotTo(HaveOccurred())
		s := m.Stages[0]
		Expect(s.RequestedRate).To(Equal(200.0))
		Expect(s.Duration).To(Equal(5*time.Second + 20*time.Millisecond))
		Expect(s.Timeline.Intervals[2].Sent).To(Equal(int64(400)))
		Expect(s.Timeline.Intervals[2].Count(report.TTFT)).To(Equal(
			a.rep.Stages[0].Timeline.Intervals[2].Count(report.TTFT) + b.rep.Stages[0].Timeline.Intervals[2].Count(report.TTFT)))
	})

	It("refuses reports that hold percentiles only, naming the report, stage and metric", func() {
		ip, err := report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
		_, err = report.Merge(newKnownRun(31, start, 100, 2, 50).rep, ip)
		Expect(errors.Is(err, report.ErrNoHistograms)).To(BeTrue(), "%v", err)
		Expect(err).To(MatchError(ContainSubstring("report 2, stage 0")))
		Expect(err).To(MatchError(ContainSubstring(".hlog")))
	})

	It("refuses reports of different scenarios", func() {
		a := newKnownRun(41, start, 100, 2, 50)
		b := newKnownRun(42, start.Add(time.Hour), 100, 2, 80)
		_, err := report.Merge(a.rep, b.rep)
		Expect(err).To(MatchError(ContainSubstring("report 2 asked for 80 req/s and report 1 for 50 req/s: not the same scenario")))
		b.rep.Stages = append(b.rep.Stages, b.rep.Stages[0])
		_, err = report.Merge(a.rep, b.rep)
		Expect(err).To(MatchError(ContainSubstring("report 2 has 2 stages and report 1 has 1")))
	})
})
