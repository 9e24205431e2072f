package bench

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the shard comparison's summary", func() {
	It("reports every figure as the median of the repetitions with their range, each figure on its own", func() {
		run := func(rate float64, lag99, ttft50, cpu time.Duration) ShardFigures {
			return ShardFigures{Achieved: rate, Lag: Pct{P99: lag99}, TTFT: Pct{P50: ttft50}, CPUPerRequest: cpu, Requests: 5000}
		}
		med, lo, hi := summarize([]ShardFigures{
			run(499, 3*time.Millisecond, 12*time.Millisecond, 700*time.Microsecond),
			run(480, 1*time.Millisecond, 14*time.Millisecond, 600*time.Microsecond),
			run(495, 9*time.Millisecond, 11*time.Millisecond, 900*time.Microsecond),
		})
		Expect([]float64{lo.Achieved, med.Achieved, hi.Achieved}).To(Equal([]float64{480, 495, 499}))
		Expect([]time.Duration{lo.Lag.P99, med.Lag.P99, hi.Lag.P99}).To(Equal([]time.Duration{time.Millisecond, 3 * time.Millisecond, 9 * time.Millisecond}))
		Expect([]time.Duration{lo.TTFT.P50, med.TTFT.P50, hi.TTFT.P50}).To(Equal([]time.Duration{11 * time.Millisecond, 12 * time.Millisecond, 14 * time.Millisecond}))
		Expect(med.CPUPerRequest).To(Equal(700 * time.Microsecond))
	})
})
