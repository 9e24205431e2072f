package loadgen_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("the native engine's timeline", func() {
	It("keeps every request in exactly one interval, and the intervals' histograms merge to the stage's distributions", func(ctx SpecContext) {
		prof := mockvllm.FixedProfile(30*time.Millisecond, 5*time.Millisecond)
		sim := startSim(ctx, mockvllm.Options{CustomProfile: &prof, Seed: 3, Faults: mockvllm.Faults{ErrorRate: 0.1}})
		o := mockOptions(sim.URL())
		o.Stages = []loadgen.Stage{{Rate: 40, Duration: 2 * time.Second}, {Rate: 20, Duration: 2 * time.Second}}
		o.TimelineInterval = 500 * time.Millisecond
		res, err := loadgen.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Report.Stages).To(HaveLen(2))
		for _, s := range res.Report.Stages {
			t := s.Timeline
			Expect(t).NotTo(BeNil(), "%s has no timeline", s.Name())
			Expect(t.Interval).To(Equal(500 * time.Millisecond))
			// A 2 s stage at 0.5 s intervals: four full intervals, plus the tail while the last requests finish.
			Expect(len(t.Intervals)).To(BeNumerically(">=", 4))
			var sent, completed, failed, tokens int64
			labels := map[string]int64{}
			for i, iv := range t.Intervals {
				if i > 0 {
					Expect(iv.Start).To(Equal(t.Intervals[i-1].End()), "intervals leave no gap")
				}
				sent += iv.Sent
				completed += iv.Completed
				failed += iv.Failed
				tokens += iv.OutputTokens
				for l, n := range iv.FailuresByLabel {
					labels[l] += n
				}
			}
			Expect(sent).To(Equal(s.Generator.Sent))
			Expect(completed).To(Equal(s.Requests))
			Expect(failed).To(Equal(s.Failures))
			Expect(failed).To(BeNumerically(">", 0), "the simulator's 10%% errors show up")
			Expect(tokens).To(Equal(s.OutputTokensTotal))
			for l, fl := range s.FailuresByLabel {
				Expect(labels[l]).To(Equal(fl.Count), "label %s", l)
			}
			for _, m := range []report.Metric{report.TTFT, report.ITL, report.RequestLatency, report.ScheduleDelay, report.OutputTokens} {
				d, ok := s.Distribution(m)
				Expect(ok).To(BeTrue(), "%s", m)
				merged, err := t.Merged(m)
				Expect(err).NotTo(HaveOccurred())
				Expect(merged.Count()).To(Equal(d.Count()), "%s count", m)
				for _, p := range []float64{50, 90, 99, 99.9} {
					want, err := d.Percentile(p)
					Expect(err).NotTo(HaveOccurred())
					got, err := merged.Percentile(p)
					Expect(err).NotTo(HaveOccurred())
					// Same buckets; only the clamp to the exact min/max can differ, by under 0.1%.
					Expect(got).To(BeNumerically("~", want, want*1e-3+1e-6), "%s p%g", m, p)
				}
			}
		}
	})
})
