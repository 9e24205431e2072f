package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/scenarios"
)

func readTestdata(parts ...string) []byte {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	Expect(err).NotTo(HaveOccurred())
	return data
}

var _ = Describe("Presets", func() {
	It("Production renders to the guide's production simulation", func() {
		c := scenarios.Production()
		Expect(c.Validate()).To(Succeed())
		out, err := scenarios.Render(c)
		Expect(err).NotTo(HaveOccurred())
		golden("preset-production.yaml", out)

		// Read the render as inference-perf would and check every value the guide names.
		r, err := scenarios.Parse(out)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.API).To(Equal(scenarios.APIConfig{Type: "completion", Streaming: true}))
		Expect(r.Data.Type).To(Equal(scenarios.DataSynthetic))
		Expect(*r.Data.InputDistribution).To(Equal(scenarios.Distribution{Type: "normal", Mean: 1024, StdDev: 512, Min: 128, Max: 4096}))
		Expect(*r.Data.OutputDistribution).To(Equal(scenarios.Distribution{Type: "normal", Mean: 512, StdDev: 256, Min: 50, Max: 2048}))
		Expect(r.Load.Type).To(Equal(scenarios.LoadPoisson))
		Expect(r.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 15, Duration: 600}}))
		Expect(r.Load.NumWorkers).To(Equal(8))
		Expect(*r.Server).To(Equal(scenarios.ServerConfig{Type: "vllm", ModelName: "qwen3-8b",
			BaseURL: "http://qwen3-vllm.default:8000", IgnoreEOS: ptr(true)}))
		Expect(r.Tokenizer.PretrainedModelNameOrPath).To(Equal("Qwen/Qwen3-8B"))
		n, _ := r.TotalRequests()
		Expect(n).To(Equal(9000))
	})

	for _, name := range scenarios.PresetNames() {
		It(name+" has exactly the chart's values", func() {
			p, err := scenarios.Preset(name)
			Expect(err).NotTo(HaveOccurred())
			Expect(p.Name).To(Equal(name))
			Expect(scenarios.Description(name)).NotTo(BeEmpty())

			// Build the same scenario from nothing but the chart's common settings and
			// the chart's own values file: every number must come out the same.
			values := strings.Replace(string(readTestdata("ai-on-eks", "benchmark-charts-values.yaml")),
				"scenario: baseline", "scenario: "+name, 1)
			fromChart, err := scenarios.ApplyValues(scenarios.ChartBase(name), []byte(values))
			Expect(err).NotTo(HaveOccurred())
			s3 := fromChart.Storage.SimpleStorageService
			Expect(s3.BucketName).To(Equal("inference-perf-results"))
			Expect(s3.Path).To(Equal("benchmark-results/" + name + "/vllm/qwen3-8b"))
			fromChart.Storage.SimpleStorageService = nil // presets leave S3 to values files
			Expect(p).To(Equal(fromChart))

			Expect(roundTrip(p)).To(Equal(p))
			out, err := scenarios.Render(p)
			Expect(err).NotTo(HaveOccurred())
			golden("preset-"+name+".yaml", out)
		})
	}

	It("names the presets when asked for another", func() {
		_, err := scenarios.Preset("prod")
		Expect(err).To(MatchError(`scenario "prod": no such preset; use one of baseline, production, saturation, sweep`))
	})

	It("returns independent copies", func() {
		a := scenarios.Production()
		a.Load.Stages[0].Rate = 99
		a.Server.BaseURL = "http://elsewhere:1"
		Expect(scenarios.Production().Load.Stages[0].Rate).To(Equal(15.0))
		Expect(scenarios.Production().Server.BaseURL).To(Equal("http://qwen3-vllm.default:8000"))
	})
})

var _ = Describe("AI-on-EKS values files", func() {
	It("the guide's custom-production.yaml yields its numbers, on the preset or on its own", func() {
		values := readTestdata("ai-on-eks", "custom-production.yaml")
		fromFile, err := scenarios.FromValues(values)
		Expect(err).NotTo(HaveOccurred())
		onPreset, err := scenarios.ApplyValues(scenarios.Production(), values)
		Expect(err).NotTo(HaveOccurred())
		Expect(onPreset).To(Equal(fromFile))

		c := fromFile
		Expect(c.Name).To(Equal("production"))
		Expect(*c.Data.InputDistribution).To(Equal(scenarios.Distribution{Type: "normal", Mean: 2048, StdDev: 1024, Min: 256, Max: 8192}))
		Expect(*c.Data.OutputDistribution).To(Equal(scenarios.Distribution{Type: "normal", Mean: 512, StdDev: 256, Min: 50, Max: 2048}),
			"the output lengths the file does not set keep the chart's values")
		Expect(c.Load.Type).To(Equal(scenarios.LoadPoisson))
		Expect(c.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 20, Duration: 900}}))
		Expect(c.Load.NumWorkers).To(Equal(8))
		Expect(c.Server.BaseURL).To(Equal("http://your-model.your-namespace:8000"))
		Expect(c.Server.ModelName).To(Equal("qwen3-8b"))
		Expect(c.Storage.SimpleStorageService).To(BeNil())

		out, err := scenarios.Render(c)
		Expect(err).NotTo(HaveOccurred())
		golden("values-custom-production.yaml", out)
		Expect(roundTrip(c)).To(Equal(c))
	})

	It("merges a partial sweep block over the chart's sweep (the guide's custom-sweep.yaml)", func() {
		c, err := scenarios.FromValues(readTestdata("ai-on-eks", "custom-sweep.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(*c.Load.Sweep).To(Equal(scenarios.SweepConfig{Type: "geometric", NumRequests: 3000, Timeout: 90,
			NumStages: 7, StageDuration: 240, SaturationPercentile: 99}))
		Expect(c.Load.Stages).To(BeNil())
	})

	It("defaults to the chart's baseline scenario and sets target, api and S3 storage", func() {
		c, err := scenarios.FromValues([]byte(`
benchmark:
  target: {serverType: sglang, modelName: m, baseUrl: "http://t:9", tokenizerPath: org/tok, ignoreEos: false}
  api: {type: chat, streaming: false}
  storage: {s3: {bucketName: b, pathPrefix: p}}
  scenarios:
    baseline:
      load: {numWorkers: 2, stages: [{rate: 3, duration: 4}, {rate: 5, duration: 6}]}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Name).To(Equal("baseline"))
		Expect(*c.Server).To(Equal(scenarios.ServerConfig{Type: "sglang", ModelName: "m", BaseURL: "http://t:9", IgnoreEOS: ptr(false)}))
		Expect(c.Tokenizer.PretrainedModelNameOrPath).To(Equal("org/tok"))
		Expect(c.API).To(Equal(scenarios.APIConfig{Type: "chat"}))
		Expect(c.Load.NumWorkers).To(Equal(2))
		Expect(c.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 3, Duration: 4}, {Rate: 5, Duration: 6}}))
		Expect(c.Storage.SimpleStorageService.BucketName).To(Equal("b"))
		Expect(c.Storage.SimpleStorageService.Path).To(Equal("p/baseline/sglang/m"))
		Expect(c.Data.InputDistribution).To(Equal(scenarios.Baseline().Data.InputDistribution))
	})

	It("overlays target and storage on a config file that names no scenario", func() {
		c, err := scenarios.LoadFile("testdata/inference-perf/config.yml")
		Expect(err).NotTo(HaveOccurred())
		c.Name = ""
		c, err = scenarios.ApplyValues(c, []byte("benchmark:\n  target: {baseUrl: \"http://t:1\"}\n  storage: {s3: {bucketName: b}}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Server.BaseURL).To(Equal("http://t:1"))
		Expect(c.Server.ModelName).To(Equal("HuggingFaceTB/SmolLM2-135M-Instruct"))
		Expect(c.Storage.SimpleStorageService.Path).To(Equal("benchmark-results/vllm/HuggingFaceTB/SmolLM2-135M-Instruct"))
		Expect(c.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 1, Duration: 30}}))
	})

	It("builds a custom scenario the chart would render from benchmark.scenarios.<name>", func() {
		c, err := scenarios.FromValues([]byte(`
benchmark:
  scenario: smoke
  scenarios:
    smoke:
      data: {input: {mean: 64, stdDev: 0, min: 64, max: 64}, output: {mean: 16, stdDev: 0, min: 16, max: 16}}
      load: {type: constant, numWorkers: 1, stages: [{rate: 2, duration: 5}]}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Name).To(Equal("smoke"))
		Expect(c.Data.InputDistribution.Mean).To(Equal(64.0))
		Expect(c.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 2, Duration: 5}}))
	})

	DescribeTable("refuses values it cannot apply, naming the key",
		func(base func() scenarios.Config, values string, want string) {
			var err error
			if base == nil {
				_, err = scenarios.FromValues([]byte(values))
			} else {
				_, err = scenarios.ApplyValues(base(), []byte(values))
			}
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("unknown key with its line", nil, "benchmark:\n  target:\n    baseURL: http://x:1\n",
			"values: line 3: unknown key benchmark.target.baseURL (did you mean baseUrl?); benchmark.target takes baseUrl, ignoreEos, modelName, serverType, tokenizerPath"),
		Entry("unknown top-level key", nil, "scenarios: {}\n", "line 1: unknown key scenarios; the values file takes benchmark"),
		Entry("the docs' storage.s3.path", nil, "benchmark:\n  storage:\n    s3:\n      path: production-sim/results\n",
			"(benchmark.storage.s3.path: the chart builds the S3 path from benchmark.storage.s3.pathPrefix)"),
		Entry("wrong type", nil, "benchmark:\n  scenarios:\n    baseline:\n      data: {input: {mean: big}}\n",
			`line 4: benchmark.scenarios.baseline.data.input.mean: wrong type: want a number, got str "big"`),
		Entry("min > max after the overlay", scenarios.Production, "benchmark:\n  scenarios:\n    production:\n      data: {input: {min: 4096, max: 128}}\n",
			"values: scenario production: data.input_distribution.min (4096) > max (128); make min <= max"),
		Entry("negative rate", scenarios.Production, "benchmark:\n  scenarios:\n    production:\n      load: {stages: [{rate: -1, duration: 60}]}\n",
			"load.stages[0].rate: -1; give a request rate in requests per second > 0"),
		Entry("empty stages without a sweep", scenarios.Production, "benchmark:\n  scenarios:\n    production:\n      load: {stages: []}\n",
			"load.stages: is empty and there is no load.sweep"),
		Entry("another scenario than the one being built", scenarios.Production, "benchmark:\n  scenario: sweep\n",
			`values: benchmark.scenario is "sweep" but the scenario being built is "production"; drop one of them`),
		Entry("a scenario that is neither preset nor defined", nil, "benchmark:\n  scenario: nightly\n",
			`benchmark.scenario "nightly" is neither a preset`),
	)
})

func ptr[T any](v T) *T { return &v }
