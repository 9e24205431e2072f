package loadgen_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("the native engine and the metric registry", func() {
	It("records every metric the registry marks native, in the stage and on its timeline, and judges goodput on every goodput metric", func(ctx SpecContext) {
		prof := mockvllm.FixedProfile(20*time.Millisecond, 2*time.Millisecond)
		sim := startSim(ctx, mockvllm.Options{CustomProfile: &prof, Seed: 5, Faults: mockvllm.Faults{ErrorRate: 0.2}})
		o := mockOptions(sim.URL())
		o.Stages = []loadgen.Stage{{Rate: 40, Duration: time.Second}}
		o.Goodput = map[report.Metric]float64{}
		for _, i := range report.MetricsWhere(func(i report.MetricInfo) bool { return i.Goodput }) {
			o.Goodput[i.Metric] = 5 // seconds: every success meets it
		}
		res, err := loadgen.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		s := res.Report.Stages[0]
		Expect(s.Failures).To(BeNumerically(">", 0), "the simulator's errors give failed-request latency samples")
		for _, i := range report.Metrics() {
			d, ok := s.Distribution(i.Metric)
			if !i.Native {
				Expect(ok).To(BeFalse(), "%s is not the native engine's", i.Metric)
				continue
			}
			Expect(ok).To(BeTrue(), "%s: a native metric the engine does not record", i.Metric)
			Expect(d.Count()).To(BeNumerically(">", 0), "%s", i.Metric)
			merged, err := s.Timeline.Merged(i.Metric)
			Expect(err).NotTo(HaveOccurred(), "%s on the timeline", i.Metric)
			Expect(merged.Count()).To(Equal(d.Count()), "%s: the timeline holds what the stage holds", i.Metric)
		}
		g := s.Goodput
		Expect(g).NotTo(BeNil())
		Expect(g.GoodRequests).To(Equal(s.Successes))
		Expect(g.Attainment).To(HaveLen(len(o.Goodput)))
		for m := range o.Goodput {
			Expect(g.Attainment).To(HaveKeyWithValue(m, 100.0), "%s", m)
		}
	}, SpecTimeout(30*time.Second))

	It("refuses a goodput constraint on every metric the registry keeps goodput off", func(ctx SpecContext) {
		for _, i := range report.MetricsWhere(func(i report.MetricInfo) bool { return !i.Goodput }) {
			o := mockOptions("http://127.0.0.1:1")
			o.Stages = []loadgen.Stage{{Rate: 1, Duration: time.Second}}
			o.Goodput = map[report.Metric]float64{i.Metric: 1}
			_, err := loadgen.Run(ctx, o)
			Expect(err).To(MatchError(ContainSubstring(fmt.Sprintf("report.goodput.constraints: %q is not a per-request metric (use ttft, itl, tpot, ntpot, request_latency)", i.Metric))))
		}
	}, SpecTimeout(10*time.Second))
})
