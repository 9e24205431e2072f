package report_test

import (
	"math"
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// bruteStretch merges the histograms of the intervals [i, i+k) and answers
// the p-th percentile by rank, as a whole-histogram merge would.
func bruteStretch(tl *report.Timeline, i, k int, p float64) float64 {
	merged := report.NewHistogram()
	for _, iv := range tl.Intervals[i : i+k] {
		h, err := iv.Histogram(report.TTFT)
		Expect(err).NotTo(HaveOccurred())
		merged.Merge(h)
	}
	rank := int64(math.Ceil(p/100*float64(merged.Count()) - 1e-9))
	return merged.ValueAtRank(max(rank, 1))
}

var _ = Describe("the worst-stretch search", func() {
	It("answers each stretch's percentile exactly as a merge of its interval histograms, and finds the highest", func() {
		rng := rand.New(rand.NewPCG(11, 12))
		start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		for run := range 8 {
			tl := &report.Timeline{Start: start, Interval: time.Second}
			for i := range 60 {
				iv := report.Interval{Start: time.Duration(i) * time.Second, Length: time.Second}
				h := report.NewHistogram()
				scale := 0.02 + rng.Float64()*rng.Float64()*2
				for range 1 + rng.IntN(40) {
					h.Record(0.001 + rng.ExpFloat64()*scale)
				}
				iv.Sent, iv.Completed = h.Count(), h.Count()
				Expect(iv.SetHistogram(report.TTFT, h)).To(Succeed())
				tl.Intervals = append(tl.Intervals, iv)
			}
			p := []float64{50, 90, 99, 99.9}[run%4]
			w, err := report.WorstOver([]report.Stage{{Timeline: tl}}, nil, report.TTFT, p, report.DefaultWorstWidth, nil)
			Expect(err).NotTo(HaveOccurred())
			Expect(w).NotTo(BeNil())
			i := int(w.Offset / time.Second)
			Expect(w.Value).To(Equal(bruteStretch(tl, i, 10, p)), "run %d, p%g, stretch at %s", run, p, w.Offset)
			for j := 0; j+10 <= 60; j++ {
				Expect(bruteStretch(tl, j, 10, p)).To(BeNumerically("<=", w.Value), "run %d: the stretch at %ds is worse", run, j)
			}
		}
	})
})
