package framework_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("The experiment a run records", func() {
	It("fingerprints the production scenario: model, load, lengths, streaming, ignore_eos", func() {
		cfg, err := scenarios.Preset("production")
		Expect(err).NotTo(HaveOccurred())
		cfg.Server = &scenarios.ServerConfig{ModelName: "qwen3-8b", BaseURL: "http://127.0.0.1:8000"}
		e := framework.ExperimentOf(cfg)
		Expect(e.Model).To(Equal("qwen3-8b"))
		Expect(e.Scenario).To(Equal("production"))
		Expect(e.Stages).To(Equal([]string{"poisson 15 req/s for 600s"}))
		Expect(e.PromptLengths).To(HaveSuffix("normal mean 1024 sd 512 in [128, 4096]"))
		Expect(e.OutputLengths).To(Equal("normal mean 512 sd 256 in [50, 2048]"))
		Expect(e.Streaming).To(Equal("true"))
		Expect(e.IgnoreEOS).To(Equal("true"))
		Expect(e.Seed).To(BeEmpty(), "no base_seed: each run draws its own workload")

		cfg.Load.BaseSeed = 7
		Expect(framework.ExperimentOf(cfg).Seed).To(Equal("7"))
	})
})
