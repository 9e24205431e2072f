package cluster

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("a collected report that lacks a planned stage", func() {
	// collected copies the summary and the given stage files of a real two-stage report.
	collected := func(stages ...int) *report.Report {
		GinkgoHelper()
		src := filepath.Join("..", "..", "fixtures", "reports", "crafted-current")
		dir := GinkgoT().TempDir()
		names := []string{report.SummaryFile}
		for _, id := range stages {
			names = append(names, report.StageFile(id))
		}
		for _, n := range names {
			data, err := os.ReadFile(filepath.Join(src, n))
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join(dir, n), data, 0o600)).To(Succeed())
		}
		rep, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		return rep
	}
	twoStages := scenarios.Config{Load: scenarios.LoadConfig{Stages: []scenarios.Stage{{Rate: 10, Duration: 60}, {Rate: 20, Duration: 60}}}}

	It("is partial, so no promise is judged on the stages that ran alone", func() {
		rep := collected(0)
		markMissingStages(rep, twoStages)
		Expect(rep.Partial).To(BeTrue())
		Expect(rep.PartialReason).To(Equal("the report has no file for stage 1 of the 2 the scenario planned"))
		Expect(rep).NotTo(matchers.HaveDeliveredLoad())
	})

	It("is left alone when every planned stage is there", func() {
		rep := collected(0, 1)
		markMissingStages(rep, twoStages)
		Expect(rep.Partial).To(BeFalse())
	})
})
