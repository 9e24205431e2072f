package loadgen_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
)

var _ = Describe("rates one generator cannot approach", func() {
	It("are refused before any load, naming the field and pointing at shards", func(ctx SpecContext) {
		for _, load := range []loadgen.LoadKind{loadgen.LoadConstant, loadgen.LoadPoisson} {
			o := mockOptions("http://127.0.0.1:1")
			o.Load = load
			o.Stages = []loadgen.Stage{{Rate: 10, Duration: time.Second}, {Rate: 1e9, Duration: 2 * time.Second}}
			res, err := loadgen.Run(ctx, o)
			Expect(res).To(BeNil())
			Expect(err).To(MatchError(ContainSubstring("load.stages[1].rate: 1e+09 req/s is more than one load generator can send (at most 100000 req/s")))
			Expect(err).To(MatchError(ContainSubstring("shards")))
		}
		o := mockOptions("http://127.0.0.1:1")
		o.Sweep = &loadgen.Sweep{Type: "linear", NumRequests: 1e7, Timeout: time.Second, NumStages: 2, StageDuration: time.Second, SaturationPercentile: 95}
		_, err := loadgen.Run(ctx, o)
		Expect(err).To(MatchError(ContainSubstring("load.sweep.num_requests")))
	}, SpecTimeout(10*time.Second))

	It("a stage at the highest allowed rate starts without planning and stops as soon as it is cancelled", func(ctx SpecContext) {
		for _, load := range []loadgen.LoadKind{loadgen.LoadConstant, loadgen.LoadPoisson} {
			runCtx, cancel := context.WithCancel(ctx)
			o := mockOptions("http://127.0.0.1:1")
			o.Load = load
			o.LeadIn = time.Hour // cancelled before the first send
			o.Stages = []loadgen.Stage{{Rate: loadgen.MaxRate, Duration: 30 * 24 * time.Hour}}
			o.ProgressEvery = 10 * time.Millisecond
			o.Progress = func(loadgen.Progress) { cancel() } // the first progress tick means the run is under way
			res, err := loadgen.Run(runCtx, o)
			cancel()
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Report.Partial).To(BeTrue())
			Expect(res.Report.PartialReason).To(ContainSubstring("interrupted"))
			Expect(res.Report.Summary.Generator.Sent).To(BeZero())
		}
	}, SpecTimeout(20*time.Second)) // planning 2.6e11 sends up front would take hours
})
