package matchers_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

var _ = Describe("The regression interval", func() {
	It("covers an unchanged P99 at about its confidence when samples are independent", func() {
		const reps, n = 400, 3000
		rng := rand.New(rand.NewPCG(1, 2))
		sample := func() *report.Report {
			h := report.NewHistogram()
			for range n {
				h.Record(0.1 * math.Exp(0.6*rng.NormFloat64()))
			}
			return &report.Report{Summary: report.Stage{ID: -1, RequestedRate: 10, AchievedRate: 10, Requests: n, Successes: n,
				Distributions: map[report.Metric]report.Distribution{report.TTFT: h, report.ScheduleDelay: zeros(n)}}}
		}
		misses := 0
		for range reps {
			m := matchers.HaveNoRegressionFrom(sample(), report.TTFT, 99, 0)
			ok, err := m.Match(sample())
			Expect(err).NotTo(HaveOccurred())
			if !ok || m.Result().High < 0 {
				misses++ // the interval lies wholly above or below no change
			}
		}
		lo, hi := matchers.WilsonInterval(int64(misses), reps, 0.95)
		fmt.Fprintf(GinkgoWriter, "95%% interval missed no change in %d of %d (%.1f%%, 95%% CI %.1f–%.1f%%)\n", misses, reps, 100*float64(misses)/reps, 100*lo, 100*hi)
		Expect(lo).To(BeNumerically("<=", 0.05), "the interval is not too narrow")
		Expect(float64(misses)/reps).To(BeNumerically("<=", 0.05), "the interval is not too narrow")
	})

	It("gives the Wilson interval of a proportion", func() {
		lo, hi := matchers.WilsonInterval(0, 10, 0.95)
		Expect(lo).To(BeZero())
		Expect(hi).To(BeNumerically("~", 0.2775, 1e-4))
		lo, hi = matchers.WilsonInterval(5, 10, 0.95)
		Expect(lo).To(BeNumerically("~", 0.2366, 1e-4))
		Expect(hi).To(BeNumerically("~", 0.7634, 1e-4))
	})
})

func zeros(n int) *report.Histogram {
	h := report.NewHistogram()
	for range n {
		h.Record(0)
	}
	return h
}
