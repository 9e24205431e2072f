package report_test

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// nearestRank is the exact nearest-rank percentile of sorted xs.
func nearestRank(xs []float64, p float64) float64 {
	r := int(math.Floor(p/100*float64(len(xs)) + 0.5))
	r = max(1, min(r, len(xs)))
	return xs[r-1]
}

var _ = Describe("Histogram", func() {
	It("answers any percentile within 0.1% (+1µs) of the exact order statistic, never below it", func() {
		rng := rand.New(rand.NewPCG(1, 2))
		h := report.NewHistogram()
		xs := make([]float64, 20000)
		sum := 0.0
		for i := range xs {
			xs[i] = 0.02 + rng.ExpFloat64()*0.05 // seconds, long tail
			sum += xs[i]
			h.Record(xs[i])
		}
		sort.Float64s(xs)
		Expect(h.Count()).To(BeEquivalentTo(20000))
		Expect(h.Min()).To(Equal(xs[0]))
		Expect(h.Max()).To(Equal(xs[len(xs)-1]))
		Expect(h.Mean()).To(BeNumerically("~", sum/20000, 1e-12))
		Expect(h.Exact()).To(BeNil())
		for _, p := range []float64{0.1, 1, 25, 50, 90, 95, 97.3, 99, 99.9, 99.99} {
			want := nearestRank(xs, p)
			got, err := h.Percentile(p)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(BeNumerically(">=", want-1e-6), "p%g", p)
			Expect(got).To(BeNumerically("<=", want*1.001+1e-6), "p%g", p)
		}
		Expect(h.Percentile(100)).To(Equal(xs[len(xs)-1]))
		Expect(h.ValueAtRank(1)).To(Equal(xs[0]))
		Expect(h.ValueAtRank(10000)).To(BeNumerically("~", xs[9999], xs[9999]*0.001+1e-6))
	})

	It("keeps microsecond resolution and hours of range", func() {
		h := report.NewHistogram(report.KindSeconds)
		h.RecordDuration(3 * time.Microsecond)
		h.RecordDuration(5 * time.Hour)
		Expect(h.Percentile(50)).To(BeNumerically("~", 3e-6, 1e-9))
		Expect(h.Max()).To(Equal(5 * 3600.0))
		Expect(h.Clamped()).To(BeZero())
	})

	It("records a batch of durations exactly as it records them one by one", func() {
		gaps := []time.Duration{0, 37 * time.Microsecond, 7 * time.Millisecond, 250 * time.Millisecond, -time.Millisecond}
		one, batch := report.NewHistogram(), report.NewHistogram()
		for _, g := range gaps {
			one.RecordDuration(g)
		}
		batch.RecordDurations(gaps)
		batch.RecordDurations(nil)
		Expect(batch.Count()).To(Equal(one.Count()))
		Expect(batch.Min()).To(Equal(one.Min()))
		Expect(batch.Max()).To(Equal(one.Max()))
		Expect(batch.Mean()).To(Equal(one.Mean()))
		for _, p := range []float64{25, 50, 99} {
			Expect(batch.Percentile(p)).To(Equal(must(one.Percentile(p))))
		}
	})

	It("records token counts exactly", func() {
		h := report.NewHistogram(report.KindTokens)
		for i := 1; i <= 1000; i++ {
			h.Record(float64(i))
		}
		Expect(h.Kind()).To(Equal(report.KindTokens))
		Expect(h.Percentile(99)).To(Equal(990.0))
		Expect(h.Percentile(50)).To(Equal(500.0))
	})

	It("counts negative values at zero but keeps the true minimum", func() {
		h := report.NewHistogram()
		h.Record(-0.001)
		h.Record(0.002)
		Expect(h.Min()).To(Equal(-0.001))
		Expect(h.Clamped()).To(BeEquivalentTo(1))
		Expect(h.Percentile(50)).To(Equal(0.0), "negative samples read as 0: never below the truth")
	})

	It("counts values beyond its range (even +Inf) at the top, never at zero", func() {
		for _, v := range []float64{1e30, math.Inf(1)} {
			h := report.NewHistogram()
			h.Record(0.001)
			h.Record(v)
			h.Record(v)
			Expect(h.Clamped()).To(BeEquivalentTo(2))
			Expect(h.Percentile(50)).To(BeNumerically(">=", (24*time.Hour).Seconds()), "%g", v)
		}
		t := report.NewHistogram(report.KindTokens)
		t.Record(1)
		t.Record(1e30)
		t.Record(1e30)
		Expect(t.Percentile(50)).To(BeNumerically(">=", 64*1024*1024))
	})

	It("merges, and merging equals recording everything in one", func() {
		a, b, all := report.NewHistogram(), report.NewHistogram(), report.NewHistogram()
		for i := 0; i < 5000; i++ {
			v := float64(i%997) / 1000
			if i%2 == 0 {
				a.Record(v)
			} else {
				b.Record(v)
			}
			all.Record(v)
		}
		m := a.Clone()
		m.Merge(b)
		Expect(a.Count()).To(BeEquivalentTo(2500), "Clone is independent")
		Expect(m.Count()).To(Equal(all.Count()))
		Expect(m.Mean()).To(BeNumerically("~", all.Mean(), 1e-12))
		for _, p := range []float64{50, 90, 99, 99.9} {
			Expect(m.Percentile(p)).To(Equal(must(all.Percentile(p))))
		}
	})

	It("is safe for concurrent recording", func() {
		h := report.NewHistogram()
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 1000; i++ {
					h.Record(0.001 * float64(i))
				}
			}()
		}
		wg.Wait()
		Expect(h.Count()).To(BeEquivalentTo(8000))
	})

	It("refuses percentiles of an empty histogram and out of range", func() {
		h := report.NewHistogram()
		_, err := h.Percentile(99)
		Expect(err).To(MatchError("no samples recorded"))
		h.Record(1)
		_, err = h.Percentile(0)
		Expect(err).To(MatchError("percentile 0 out of range (0,100]"))
	})
})

func must(v float64, err error) float64 {
	GinkgoHelper()
	Expect(err).NotTo(HaveOccurred())
	return v
}
