package bench

import (
	"bytes"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the bench's repetitions", func() {
	run := func(lag99, ttftErr time.Duration, cap16 float64) *Results {
		return &Results{
			Lag: []LagRow{{Label: "100 req/s"}, {Label: "1000 req/s", Lag: Pct{P99: lag99}, Pacer: Pct{P99: lag99 / 2}},
				{Label: controlUniform, Lag: Pct{P99: lag99 / 4}}},
			Error:    ErrorRow{TTFT: Pct{P99: ttftErr}},
			Capacity: []Capacity{{Max: cap16}, {Max: 1000}},
			Ran:      SectionNames(),
		}
	}

	named := func(figs []Figure, prefix string) Figure {
		for _, f := range figs {
			if strings.HasPrefix(strings.TrimSpace(f.Name), prefix) {
				return f
			}
		}
		Fail("no figure named " + prefix)
		return Figure{}
	}

	It("judges each goal on the median of the repetitions and prints the range", func() {
		figs := Figures([]*Results{
			run(1660*time.Microsecond, 720*time.Microsecond, 4000),
			run(400*time.Microsecond, 300*time.Microsecond, 5000),
			run(900*time.Microsecond, 880*time.Microsecond, 2000),
		})
		lag := named(figs, "schedule lag P99 at 1,000 req/s")
		Expect(lag.Median()).To(BeNumerically("~", 0.9, 1e-9))
		lo, hi := lag.Range()
		Expect(lo).To(BeNumerically("~", 0.4, 1e-9))
		Expect(hi).To(BeNumerically("~", 1.66, 1e-9))
		Expect(lag.Goal(lag.Median())).To(BeTrue(), "median lag 0.9 ms meets ≤ 1 ms though one run missed")
		Expect(named(figs, "of which the pacer").Median()).To(BeNumerically("~", 0.45, 1e-9))
		Expect(named(figs, "control: lag P99, evenly spaced").Median()).To(BeNumerically("~", 0.225, 1e-9))
		Expect(named(figs, "control: lag P99, Poisson, unstreamed").Median()).To(Equal(-1.0), "a missing row reads -1, not 0")
		ttft := named(figs, "client TTFT error P99")
		Expect(ttft.Goal(ttft.Median())).To(BeFalse(), "median TTFT error 0.72 ms misses ≤ 0.5 ms")
		Expect(named(figs, "capacity, 16-token streams").Median()).To(Equal(4000.0))
		var out bytes.Buffer
		PrintFigures(&out, figs)
		Expect(out.String()).To(ContainSubstring("Summary over 3 repetitions"))
		Expect(out.String()).To(MatchRegexp(`schedule lag P99 at 1,000 req/s .* 0\.900 ms +\[0\.400 – 1\.660\] +goal ≤ 1 ms: PASS`))
		Expect(out.String()).To(MatchRegexp(`client TTFT error P99 .* 0\.720 ms +\[0\.300 – 0\.880\] +goal ≤ 0\.5 ms: MISS`))
	})

	It("lists only the figures of the sections that ran", func() {
		r := run(time.Millisecond, 0, 0)
		r.Ran = []string{SectionLag}
		figs := Figures([]*Results{r})
		Expect(figs).NotTo(BeEmpty())
		for _, f := range figs {
			Expect(f.Section).To(Equal(SectionLag), f.Name)
		}
		Expect(named(figs, "schedule lag P99 at 1,000 req/s").Values).To(Equal([]float64{1}))
	})

	It("refuses an unknown section, naming the valid ones", func() {
		cfg := Config{Target: Target{URL: "http://127.0.0.1:1", Truth: HTTPTruth("http://127.0.0.1:1")}, Sections: []string{"latency"}}
		err := cfg.Validate()
		Expect(err).To(MatchError(ContainSubstring(`unknown section "latency"`)))
		Expect(err).To(MatchError(ContainSubstring("memory, capacity, lag, error, non-streaming")))
	})
})
