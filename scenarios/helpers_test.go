package scenarios_test

import (
	"runtime"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("Runner helpers", func() {
	It("WithDuration sets every stage, rounding up to whole seconds, and leaves the original alone", func() {
		orig := scenarios.Saturation()
		c := orig.WithDuration(1500 * time.Millisecond)
		for _, s := range c.Load.Stages {
			Expect(s.Duration).To(Equal(2))
		}
		Expect(orig.Load.Stages[0].Duration).To(Equal(180))
		Expect(c.Validate()).To(Succeed())
		Expect(c.WithDuration(0).Validate()).To(MatchError(ContainSubstring("load.stages[0].duration: 0")))

		sw := scenarios.Sweep().WithDuration(30 * time.Second)
		Expect(sw.Load.Sweep.StageDuration).To(Equal(30))
		Expect(scenarios.Sweep().Load.Sweep.StageDuration).To(Equal(180))
	})

	It("WithRate sets every stage's rate and turns a sweep into one stage at that rate", func() {
		c := scenarios.Saturation().WithRate(2.5)
		Expect(c.Load.Stages).To(HaveLen(4))
		for _, s := range c.Load.Stages {
			Expect(s.Rate).To(Equal(2.5))
		}
		sw := scenarios.Sweep().WithRate(3)
		Expect(sw.Load.Sweep).To(BeNil())
		Expect(sw.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 3, Duration: 180}}))
		Expect(sw.Validate()).To(Succeed())
		Expect(scenarios.Sweep().Load.Sweep).NotTo(BeNil())
	})

	It("leaves concurrent stages alone", func() {
		c, err := scenarios.LoadFile("testdata/inference-perf/workload-catalog_interactive-chat.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.WithRate(9).WithDuration(time.Minute)).To(Equal(c))
		n, known := c.TotalRequests()
		Expect(known).To(BeTrue())
		Expect(n).To(Equal(1500))
		Expect(c.Load.Stages[0].SendDuration(c.Load.Type)).To(BeZero())
	})

	It("TotalRequests truncates rate × duration per stage like inference-perf", func() {
		c := scenarios.Production()
		c.Load.Stages = []scenarios.Stage{{Rate: 0.7, Duration: 10}, {Rate: 1.5, Duration: 3}}
		n, known := c.TotalRequests()
		Expect(known).To(BeTrue())
		Expect(n).To(Equal(7 + 4))
		n, _ = scenarios.Saturation().TotalRequests()
		Expect(n).To(Equal(13500))
	})

	It("PlannedDuration adds stage durations and the interval after each", func() {
		Expect(scenarios.Saturation().PlannedDuration()).To(Equal(4*180*time.Second + 4*time.Second))
		Expect(scenarios.Sweep().PlannedDuration()).To(Equal(60*time.Second + time.Second + 5*(180*time.Second+time.Second)))
	})

	It("WithTarget aims a copy at another server", func() {
		c := scenarios.Production().WithTarget("http://127.0.0.1:8000", "Qwen/Qwen3-8B")
		Expect(c.Server.BaseURL).To(Equal("http://127.0.0.1:8000"))
		Expect(c.Server.ModelName).To(Equal("Qwen/Qwen3-8B"))
		Expect(scenarios.Production().Server.BaseURL).To(Equal("http://qwen3-vllm.default:8000"))
		d := scenarios.Default().WithTarget("http://h:1", "")
		Expect(*d.Server.IgnoreEOS).To(BeTrue())
	})

	It("a server section built in Go needs only its base URL", func() {
		c := scenarios.Production()
		c.Server = &scenarios.ServerConfig{BaseURL: "http://127.0.0.1:8000"}
		Expect(c.Validate()).To(Succeed())
		out, err := scenarios.Render(c)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("server:\n  type: vllm\n  base_url: http://127.0.0.1:8000\n  ignore_eos: true\n"))
	})

	It("Workers resolves an unset num_workers to this host's CPU count", func() {
		Expect(scenarios.LoadConfig{NumWorkers: 8}.Workers()).To(Equal(8))
		Expect(scenarios.LoadConfig{}.Workers()).To(Equal(runtime.NumCPU()))
		Expect(scenarios.Production().Load.MaxInFlight()).To(Equal(800))
	})

	It("Summary says in one line what the scenario sends", func() {
		Expect(scenarios.Production().Summary()).To(Equal("production: poisson, 1 stage: 15 req/s × 600s (9000 requests); " +
			"synthetic prompts normal(1024, sd 512) in [128, 4096] tokens, outputs normal(512, sd 256) in [50, 2048]; " +
			"completion API, streaming; 8 workers; target vllm qwen3-8b at http://qwen3-vllm.default:8000"))
		Expect(scenarios.Baseline().Summary()).To(ContainSubstring("synthetic prompts fixed 512 in [512, 512] tokens, outputs fixed 128 in [128, 128]"))
		Expect(scenarios.Sweep().Summary()).To(ContainSubstring("constant, geometric sweep: 5 stages × 180s after a 2000-request probe"))
		c, err := scenarios.LoadFile("testdata/inference-perf/workload-catalog_interactive-chat.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Summary()).To(ContainSubstring("concurrent, 5 stages: 300 requests at concurrency 10, "))
		Expect(c.Summary()).To(ContainSubstring("(1500 requests)"))
	})

	It("a zero Config prints, clones and fails validation without panicking", func() {
		var c scenarios.Config
		Expect(c.String()).To(ContainSubstring("api:"))
		Expect(c.Clone()).To(Equal(c))
		Expect(c.Validate()).To(MatchError(ContainSubstring(`api.type: "" is not one of completion, chat, anthropic_messages`)))
		_, err := scenarios.Render(c)
		Expect(err).To(HaveOccurred())
		Expect(c.Summary()).NotTo(BeEmpty())
	})

	It("Clone shares nothing with the original", func() {
		a := scenarios.Production()
		a.API.Headers = map[string]string{"X": "1"}
		a.Data.SharedPrefix = &scenarios.SharedPrefix{QuestionLen: scenarios.Length{Dist: &scenarios.Distribution{Mean: 3}}}
		b := a.Clone()
		Expect(b).To(Equal(a))
		b.API.Headers["X"] = "2"
		b.Data.InputDistribution.Mean = 1
		b.Data.SharedPrefix.QuestionLen.Dist.Mean = 4
		b.Load.Stages[0].Rate = 1
		Expect(a.API.Headers["X"]).To(Equal("1"))
		Expect(a.Data.InputDistribution.Mean).To(Equal(1024.0))
		Expect(a.Data.SharedPrefix.QuestionLen.Dist.Mean).To(Equal(3.0))
		Expect(a.Load.Stages[0].Rate).To(Equal(15.0))
	})
})
