package report_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("The recorded experiment (experiment.json)", func() {
	minimal := func() *report.Report {
		st := report.Stage{ID: 0, Requests: 1, Successes: 1, Distributions: map[report.Metric]report.Distribution{}}
		sum := st
		sum.ID = -1
		return &report.Report{Summary: sum, Stages: []report.Stage{st}}
	}

	It("is written beside the report files and read back", func() {
		dir := GinkgoT().TempDir()
		r := minimal()
		r.Experiment = &report.Experiment{Model: "qwen3-8b", Scenario: "production", Stages: []string{"poisson 15 req/s for 600s"},
			PromptLengths: "random normal mean 1024 sd 512 in [128, 4096]", Streaming: "true", IgnoreEOS: "true", Seed: "42"}
		Expect(report.WriteDir(dir, r)).To(Succeed())
		Expect(filepath.Join(dir, report.ExperimentFile)).To(BeAnExistingFile())
		back, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Experiment).To(Equal(r.Experiment))
	})

	It("is absent (unknown) for a report directory without it", func() {
		dir := GinkgoT().TempDir()
		Expect(report.WriteDir(dir, minimal())).To(Succeed())
		back, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Experiment).To(BeNil())
	})

	It("refuses a file with an unknown key, naming the file and the fix", func() {
		dir := GinkgoT().TempDir()
		Expect(report.WriteDir(dir, minimal())).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, report.ExperimentFile), []byte(`{"modle": "x"}`), 0o644)).To(Succeed())
		_, err := report.ReadDir(dir)
		Expect(err).To(MatchError(And(ContainSubstring("experiment.json"), ContainSubstring(`unknown field "modle"`), ContainSubstring("delete it"))))
	})

	It("names every difference but not another seed, and pairs runs of one seed", func() {
		a := report.Experiment{Model: "m", Scenario: "production", Stages: []string{"poisson 15 req/s for 600s"}, Streaming: "true", Seed: "1"}
		b := a
		b.Seed = "2"
		Expect(a.Differences(b)).To(BeEmpty())
		Expect(a.Paired(b)).To(BeFalse())
		b.Seed = "1"
		Expect(a.Paired(b)).To(BeTrue())
		b.Model, b.Streaming = "n", "false"
		Expect(a.Differences(b)).To(Equal([]string{`model "m" in the baseline, "n" in the candidate`, `streaming "true" in the baseline, "false" in the candidate`}))
		Expect(a.Paired(b)).To(BeFalse())
	})
})
