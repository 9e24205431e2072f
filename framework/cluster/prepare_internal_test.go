package cluster

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("secrets of a run", func() {
	It("pass the Hugging Face token only as HF_TOKEN, never in the config inference-perf logs", func() {
		cfg := scenarios.Production()
		cfg.Server.BaseURL = "http://bench:s3cr3t-pw@qwen3-vllm.default:8000"
		cfg.Server.APIKey = "sk-prep-key"
		cfg.Tokenizer.Token = "hf_prepToken"
		p, err := prepareScenario(cfg, "tailgate-bench-1")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.hfToken).To(Equal("hf_prepToken"))
		Expect(string(p.secretConfig)).To(ContainSubstring("api_key: sk-prep-key"))
		Expect(string(p.secretConfig)).NotTo(ContainSubstring("hf_prepToken"))
		Expect(string(p.config)).NotTo(Or(ContainSubstring("sk-prep-key"), ContainSubstring("hf_prepToken"), ContainSubstring("s3cr3t-pw")))
		Expect(p.secretValues).To(ContainElements("sk-prep-key", "hf_prepToken", "s3cr3t-pw"))
	})

	It("are scrubbed from every collected file", func() {
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"api_key": "sk-prep-key", "token": "hf_prepToken"}`), 0o600)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "summary_lifecycle_metrics.json"), []byte(`{"load_summary": {}}`), 0o600)).To(Succeed())
		Expect(scrubSecrets(dir, "sk-prep-key", "", "hf_prepToken")).To(Succeed())
		data, err := os.ReadFile(filepath.Join(dir, "config.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(Equal(`{"api_key": "<redacted>", "token": "<redacted>"}`))
	})
})

var _ = Describe("the planned duration of a run", func() {
	It("counts a sweep's probe and generated stages, so the Job's wait is sized for them", func() {
		cfg := scenarios.Sweep()
		cfg.Server.BaseURL = "http://qwen3-vllm.default:8000"
		p, err := prepareScenario(cfg, "tailgate-bench-sweep")
		Expect(err).NotTo(HaveOccurred())
		// A 60 s probe and five stages of 180 s, each followed by the 1 s interval.
		Expect(p.plannedDuration).To(Equal(60*time.Second + time.Second + 5*181*time.Second))
		Expect(p.plannedDuration).To(Equal(cfg.PlannedDuration()))
	})

	It("is the stages' durations plus their intervals for fixed stages", func() {
		p, err := prepareScenario(scenarios.Production(), "tailgate-bench-prod")
		Expect(err).NotTo(HaveOccurred())
		Expect(p.plannedDuration).To(Equal(601 * time.Second))
	})
})
