package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/scenarios"
)

// runRenderCmd runs "tailgate render ARGS..." and returns exit code, stdout and stderr.
func runRenderCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := dispatch(context.Background(), append([]string{"render"}, args...), stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

var _ = Describe("tailgate render", func() {
	const testdata = "../../scenarios/testdata"

	It("prints a preset's config.yml, which reads back as the preset", func() {
		code, out, errOut := runRenderCmd("--scenario", "production")
		Expect(code).To(Equal(0), errOut)
		Expect(errOut).To(BeEmpty())
		c, err := scenarios.Parse([]byte(out))
		Expect(err).NotTo(HaveOccurred())
		c.Name = "production"
		Expect(c).To(Equal(scenarios.Production()))
	})

	It("overlays a values file: the guide's custom-production.yaml", func() {
		code, out, errOut := runRenderCmd("--scenario", "production", "--values", filepath.Join(testdata, "ai-on-eks", "custom-production.yaml"))
		Expect(code).To(Equal(0), errOut)
		want, err := os.ReadFile(filepath.Join(testdata, "golden", "values-custom-production.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(Equal(string(want)))

		code, alone, _ := runRenderCmd("--values", filepath.Join(testdata, "ai-on-eks", "custom-production.yaml"))
		Expect(code).To(Equal(0))
		Expect(alone).To(Equal(out), "--values alone takes the scenario the file selects")
	})

	It("prints an inference-perf config file", func() {
		code, out, errOut := runRenderCmd("--config", filepath.Join(testdata, "inference-perf", "config.yml"))
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(ContainSubstring("model_name: HuggingFaceTB/SmolLM2-135M-Instruct"))
	})

	It("redacts secrets unless --show-secrets asks for them", func() {
		dir := GinkgoT().TempDir()
		cfg := filepath.Join(dir, "config.yml")
		Expect(os.WriteFile(cfg, []byte(`
load: {type: poisson, stages: [{rate: 1, duration: 5}]}
server: {base_url: "http://127.0.0.1:8000", api_key: sk-top-secret}
tokenizer: {pretrained_model_name_or_path: Qwen/Qwen3-8B, token: hf_private}
`), 0o600)).To(Succeed())
		code, out, errOut := runRenderCmd("--config", cfg)
		Expect(code).To(Equal(0), errOut)
		Expect(out).NotTo(ContainSubstring("sk-top-secret"))
		Expect(out).NotTo(ContainSubstring("hf_private"))
		Expect(out).To(ContainSubstring("api_key: REDACTED"))
		Expect(out).To(ContainSubstring("token: REDACTED"))

		code, out, _ = runRenderCmd("--config", cfg, "--show-secrets")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("api_key: sk-top-secret"))
		Expect(out).To(ContainSubstring("token: hf_private"))

		_, _, help := runRenderCmd("-h")
		Expect(help).To(ContainSubstring("REDACTED"))
		Expect(help).To(ContainSubstring("--show-secrets"))
	})

	DescribeTable("exit 2 for bad usage",
		func(want string, args ...string) {
			code, out, errOut := runRenderCmd(args...)
			Expect(code).To(Equal(2))
			Expect(out).To(BeEmpty())
			Expect(errOut).To(ContainSubstring(want))
		},
		Entry("nothing to render", "give --scenario NAME, --config FILE or --values FILE"),
		Entry("unknown preset", `scenario "prod": no such preset; use one of baseline, production, saturation, sweep`, "--scenario", "prod"),
		Entry("both sources", "give --scenario or --config, not both", "--scenario", "sweep", "--config", "x.yml"),
		Entry("stray argument", `unexpected argument "production"`, "production"),
		Entry("unknown flag", "flag provided but not defined: -preset", "--preset", "production"),
	)

	DescribeTable("exit 1 for invalid input, naming the file, key and line",
		func(file, content, want string, args ...string) {
			path := filepath.Join(GinkgoT().TempDir(), file)
			Expect(os.WriteFile(path, []byte(content), 0o600)).To(Succeed())
			code, out, errOut := runRenderCmd(append(args, path)...)
			Expect(code).To(Equal(1))
			Expect(out).To(BeEmpty())
			Expect(errOut).To(ContainSubstring(path))
			Expect(errOut).To(ContainSubstring(want))
		},
		Entry("unknown config key", "c.yml", "load:\n  stages: [{rate: 1, duration: 1}]\n  workers: 3\n",
			"line 3: unknown key load.workers;", "--config"),
		Entry("min > max in a values file", "v.yml", "benchmark:\n  scenarios:\n    production:\n      data: {input: {min: 4096, max: 128}}\n",
			"scenario production: data.input_distribution.min (4096) > max (128)", "--scenario", "production", "--values"),
		Entry("unknown values key", "v.yml", "benchmark:\n  scenarios:\n    production:\n      load: {rate: 3}\n",
			"line 4: unknown key benchmark.scenarios.production.load.rate;", "--scenario", "production", "--values"),
	)

	It("exit 1 for a file that is not there", func() {
		code, _, errOut := runRenderCmd("--config", "does-not-exist.yml")
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring("does-not-exist.yml: no such file"))
	})
})
