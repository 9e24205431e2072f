package framework_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("overrides on a sweep", func() {
	It("give the sweep's way to one stage at TAILGATE_RATE, lasting the sweep's stage duration or TAILGATE_DURATION", func() {
		out := framework.ApplySettings(scenarios.Sweep(), framework.Settings{Rate: 4})
		Expect(out.Load.Sweep).To(BeNil())
		Expect(out.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 4, Duration: 180}}))
		Expect(out.PlannedDuration()).To(Equal(181 * time.Second))

		out = framework.ApplySettings(scenarios.Sweep(), framework.Settings{Rate: 4, Duration: 30 * time.Second})
		Expect(out.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 4, Duration: 30}}))
		Expect(out.Validate()).To(Succeed())
	})

	It("run the fixed-rate stage and say that it replaced the sweep", func(ctx SpecContext) {
		j := framework.RunPipeline(ctx, framework.PipelineInput{
			Name: "sweep", Scenario: scenarios.Sweep(), SLA: framework.NoSLA(), Dir: GinkgoT().TempDir(),
			Settings: framework.Settings{Rate: 4, Duration: 2 * time.Second}, ProgressEvery: -1, Log: GinkgoWriter,
		})
		Expect(j.Err).NotTo(HaveOccurred())
		Expect(j.Notes).To(ContainElement(ContainSubstring("TAILGATE_RATE=4 replaces the sweep: running constant, 1 stage: 4 req/s × 2s (8 requests)")))
		Expect(j.Report).NotTo(BeNil())
		Expect(j.Report.Stages).To(HaveLen(1))
		Expect(j.Report.Stages[0].RequestedRate).To(Equal(4.0))
		Expect(j.Report.Summary.Requests).To(BeEquivalentTo(8))
	}, SpecTimeout(3*time.Minute))
})
