package bench

import (
	"bytes"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the bench's repetitions", func() {
	run := func(lag99, ttftErr time.Duration, cap16 float64) *Results {
		return &Results{
			Lag:      []LagRow{{Label: "100 req/s"}, {Label: "1000 req/s", Lag: Pct{P99: lag99}}},
			Error:    ErrorRow{TTFT: Pct{P99: ttftErr}},
			Capacity: []Capacity{{Max: cap16}, {Max: 1000}},
		}
	}

	It("judges each goal on the median of the repetitions and prints the range", func() {
		figs := Figures([]*Results{
			run(1660*time.Microsecond, 720*time.Microsecond, 4000),
			run(400*time.Microsecond, 300*time.Microsecond, 5000),
			run(900*time.Microsecond, 880*time.Microsecond, 2000),
		})
		Expect(figs[0].Median()).To(BeNumerically("~", 0.9, 1e-9))
		lo, hi := figs[0].Range()
		Expect(lo).To(BeNumerically("~", 0.4, 1e-9))
		Expect(hi).To(BeNumerically("~", 1.66, 1e-9))
		Expect(figs[0].Goal(figs[0].Median())).To(BeTrue(), "median lag 0.9 ms meets ≤ 1 ms though one run missed")
		Expect(figs[1].Goal(figs[1].Median())).To(BeFalse(), "median TTFT error 0.72 ms misses ≤ 0.5 ms")
		Expect(figs[3].Median()).To(Equal(4000.0))
		var out bytes.Buffer
		PrintFigures(&out, figs)
		Expect(out.String()).To(ContainSubstring("Summary over 3 repetitions"))
		Expect(out.String()).To(MatchRegexp(`schedule lag P99 at 1,000 req/s .* 0\.900 ms +\[0\.400 – 1\.660\] +goal ≤ 1 ms: PASS`))
		Expect(out.String()).To(MatchRegexp(`client TTFT error P99 .* 0\.720 ms +\[0\.300 – 0\.880\] +goal ≤ 0\.5 ms: MISS`))
	})
})
