package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/scenarios"
)

// roundTrip renders c and parses the output back, keeping c's name.
func roundTrip(c scenarios.Config) scenarios.Config {
	GinkgoHelper()
	out, err := scenarios.Render(c)
	Expect(err).NotTo(HaveOccurred())
	back, err := scenarios.Parse(out)
	Expect(err).NotTo(HaveOccurred(), "rendered config does not parse:\n%s", out)
	back.Name = c.Name
	return back
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(name string, got []byte) {
	GinkgoHelper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		Expect(os.WriteFile(path, got, 0o644)).To(Succeed())
	}
	want, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred(), "no golden file; run go test ./scenarios -args -update and review it")
	Expect(string(got)).To(Equal(string(want)), "render output changed; if intended, run with -args -update and review the diff")
}

var _ = Describe("inference-perf config files", func() {
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "inference-perf", "*"))

	It("has the real configs to test against", func() {
		Expect(len(fixtures)).To(BeNumerically(">=", 11))
	})

	for _, path := range fixtures {
		base := filepath.Base(path)
		if base == "deploy_manifests.yaml" {
			continue
		}
		It("loads "+base+", renders it stably, and reads the render back unchanged", func() {
			c, err := scenarios.LoadFile(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(roundTrip(c)).To(Equal(c))
			out, err := scenarios.Render(c)
			Expect(err).NotTo(HaveOccurred())
			golden(strings.TrimSuffix(base, filepath.Ext(base))+".yaml", out)
			again, err := scenarios.Render(roundTrip(c))
			Expect(err).NotTo(HaveOccurred())
			Expect(again).To(Equal(out))
		})
	}

	It("refuses the Job manifest the way inference-perf does: its keys are not config keys", func() {
		_, err := scenarios.LoadFile(filepath.Join("testdata", "inference-perf", "deploy_manifests.yaml"))
		Expect(err).To(HaveOccurred())
		for _, want := range []string{
			"line 1: unknown key apiVersion;", "line 2: unknown key kind;",
			"line 3: unknown key metadata;", "line 7: unknown key spec;",
			"inference-perf rejects unknown keys",
		} {
			Expect(err.Error()).To(ContainSubstring(want))
		}
	})

	It("reads every setting of the shared-prefix example, inline distributions included", func() {
		c, err := scenarios.LoadFile(filepath.Join("testdata", "inference-perf", "examples_vllm_config-shared-prefix-distributions.yml"))
		Expect(err).NotTo(HaveOccurred())
		sp := c.Data.SharedPrefix
		Expect(sp.NumGroups).To(Equal(10))
		Expect(sp.SystemPromptLen).To(Equal(scenarios.Length{Fixed: 100}))
		Expect(*sp.QuestionLen.Dist).To(Equal(scenarios.Distribution{Type: "skew_normal", Mean: 200, StdDev: 80, Skew: 2.5, Min: 10, Max: 2000}))
		Expect(*sp.OutputLen.Dist).To(Equal(scenarios.Distribution{Type: "lognormal", Mean: 150, StdDev: 60, Min: 1, Max: 4096}))
		Expect(*sp.Seed).To(Equal(42))
		Expect(c.Load.Interval).To(Equal(15.0))
		Expect(c.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 1, Duration: 30}, {Rate: 2, Duration: 30}}))
	})

	It("reads the real H100 run's config with inference-perf's defaults filled in", func() {
		c, err := scenarios.LoadFile(filepath.Join("testdata", "inference-perf", "run_vllm-v0.11-llama3-8b-h100.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Load.Sweep).To(Equal(&scenarios.SweepConfig{Type: "linear", NumRequests: 2000, Timeout: 180,
			NumStages: 7, StageDuration: 60, SaturationPercentile: 95}))
		Expect(c.Load.NumWorkers).To(Equal(44))
		Expect(c.Load.WorkerMaxConcurrency).To(Equal(10))
		Expect(c.Data.SharedPrefix.OutputLen).To(Equal(scenarios.Length{Fixed: 64}))
		Expect(c.Metrics.Prometheus.GoogleManaged).To(BeTrue())
		Expect(c.Storage.LocalStorage.Path).To(Equal(scenarios.DefaultTimestampPath))
		Expect(c.Storage.GoogleCloudStorage.BucketName).To(Equal("<your-gcs-bucket>"))
		Expect(c.Report.RequestLifecycle.Percentiles).To(Equal(scenarios.DefaultPercentiles()))
		_, known := c.TotalRequests()
		Expect(known).To(BeFalse(), "a sweep decides its request count at run time")
	})

	It("reads the full config.yaml inference-perf writes with its reports back into the scenario it ran", func() {
		c, err := scenarios.LoadFile(filepath.Join("testdata", "inference-perf-dump", "production-config.yaml"))
		Expect(err).NotTo(HaveOccurred())
		want := scenarios.Production()
		want.Name = c.Name
		want.Data.InputDistribution.TotalCount = ptr(9001)
		want.Data.OutputDistribution.TotalCount = ptr(9001)
		want.Load.BaseSeed = 1764150000123
		want.Storage.LocalStorage.Path = "reports-20251126-093000"
		Expect(c).To(Equal(want))
		Expect(roundTrip(c)).To(Equal(c))
	})

	It("keeps circuit-breaker keys inference-perf ignores, and checks the breaker names", func() {
		c, err := scenarios.LoadFile(filepath.Join("testdata", "inference-perf", "examples_vllm_config-circuitbreaker.yml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.CircuitBreakers[0].Triggers).To(Equal([]scenarios.Trigger{
			{Type: "consecutive", Threshold: 10},
			{Type: "rate_over_window", WindowSec: 2.5, Threshold: 0.8, MinSamples: 2},
		}))
		Expect(*c.Load.RequestTimeout).To(Equal(60.0))

		_, err = scenarios.Parse([]byte(`
load: {type: constant, stages: [{rate: 1, duration: 5}], circuit_breakers: [nope]}
circuit_breakers:
  - name: b
    note: inference-perf ignores this key
    metrics: {matches: ["error != null"]}
    triggers: [{type: consecutive, threshold: 3, comment: ignored too}]
`))
		Expect(err).To(MatchError(ContainSubstring(`load.circuit_breakers[0]: "nope" names no circuit breaker`)))
	})
})

var _ = Describe("Parse", func() {
	const good = `
load:
  type: constant
  stages:
    - rate: 2
      duration: 10
server:
  base_url: http://127.0.0.1:8000
`
	It("applies inference-perf's defaults to what the file leaves out", func() {
		c, err := scenarios.Parse([]byte(good))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.API).To(Equal(scenarios.APIConfig{Type: "completion"}))
		Expect(c.Data.Type).To(Equal(scenarios.DataMock))
		Expect(c.Load.Interval).To(Equal(1.0))
		Expect(c.Load.WorkerMaxConcurrency).To(Equal(100))
		Expect(c.Load.WorkerMaxTCPConnections).To(Equal(2500))
		Expect(c.Load.NumWorkers).To(Equal(0), "unset: inference-perf uses the host's CPU count")
		Expect(c.Server.Type).To(Equal(scenarios.ServerVLLM))
		Expect(*c.Server.IgnoreEOS).To(BeTrue())
		Expect(c.Report.RequestLifecycle.Summary).To(BeTrue())
		Expect(c.Report.RequestLifecycle.PerRequest).To(BeFalse())
		Expect(c.Report.Prometheus.PerStage).To(BeFalse())
		Expect(c.Storage.LocalStorage.Path).To(Equal("reports-{timestamp}"))
		n, known := c.TotalRequests()
		Expect(known).To(BeTrue())
		Expect(n).To(Equal(20))
	})

	It("gives a section that appears its own defaults (std_dev 200, type normal)", func() {
		c, err := scenarios.Parse([]byte(good + "data: {type: random, input_distribution: {min: 1, max: 9, mean: 5}, output_distribution: {}}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(*c.Data.InputDistribution).To(Equal(scenarios.Distribution{Min: 1, Max: 9, Mean: 5, StdDev: 200, Type: "normal"}))
		Expect(*c.Data.OutputDistribution).To(Equal(scenarios.Distribution{Min: 10, Max: 1024, Mean: 512, StdDev: 200, Type: "normal"}))
	})

	It("reads the shared_prefix aliases and renders the serialized names", func() {
		c, err := scenarios.Parse([]byte(good + "data: {type: shared_prefix, shared_prefix: {num_groups: 3, num_prompts_per_group: 4}}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Data.SharedPrefix.NumGroups).To(Equal(3))
		Expect(c.Data.SharedPrefix.NumPromptsPerGroup).To(Equal(4))
		out, err := scenarios.Render(c)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("num_unique_system_prompts: 3"))
		Expect(string(out)).To(ContainSubstring("num_users_per_system_prompt: 4"))
		Expect(roundTrip(c)).To(Equal(c))

		_, err = scenarios.Parse([]byte(good + "data: {type: shared_prefix, shared_prefix: {num_groups: 3, num_unique_system_prompts: 4}}\n"))
		Expect(err).To(MatchError(ContainSubstring(`data.shared_prefix.num_unique_system_prompts: repeats "num_groups"`)))
	})

	It("keeps a variance as declared so the render reads back (std_dev 0 + variance)", func() {
		c, err := scenarios.Parse([]byte(good + "data: {type: random, input_distribution: {min: 1, max: 99, mean: 50, std_dev: 0, variance: 16}, output_distribution: {min: 1, max: 9, mean: 5, std_dev: 1}}\n"))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Data.InputDistribution.EffectiveStdDev()).To(Equal(4.0))
		Expect(roundTrip(c)).To(Equal(c))
	})

	It("follows YAML anchors and merge keys, checking the merged keys too", func() {
		c, err := scenarios.Parse([]byte(`
load:
  type: constant
  stages:
    - &stage {rate: 2, duration: 10}
    - <<: *stage
      rate: 4
server: {base_url: "http://127.0.0.1:8000"}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Load.Stages).To(Equal([]scenarios.Stage{{Rate: 2, Duration: 10}, {Rate: 4, Duration: 10}}))

		_, err = scenarios.Parse([]byte("x: &bad {rate: 1, pace: 2}\n"))
		Expect(err).To(MatchError(ContainSubstring("unknown key x;")))
		_, err = scenarios.Parse([]byte("load:\n  stages:\n    - <<: {rate: 1, pace: 2}\n      duration: 3\n"))
		Expect(err).To(MatchError(ContainSubstring("line 3: unknown key load.stages[0].pace;")))
	})

	It("treats an empty file like inference-perf: all defaults, then no stages to run", func() {
		_, err := scenarios.Parse(nil)
		Expect(err).To(MatchError(ContainSubstring("load.stages: is empty and there is no load.sweep; give at least one stage (or a sweep)")))
	})

	DescribeTable("bad input gives a clear error naming the field",
		func(yaml string, want ...string) {
			_, err := scenarios.Parse([]byte(yaml))
			Expect(err).To(HaveOccurred())
			for _, w := range want {
				Expect(err.Error()).To(ContainSubstring(w))
			}
		},
		Entry("unknown key, with its line and the keys allowed", "load:\n  type: constant\n  stage:\n    - rate: 1\n",
			"line 3: unknown key load.stage (did you mean stages?); load takes base_seed, circuit_breakers, interval,", "stages, sweep,"),
		Entry("unknown key deep inside", good+"data:\n  type: random\n  input_distribution:\n    mean: 5\n    sd: 2\n",
			"line 13: unknown key data.input_distribution.sd; data.input_distribution takes max, mean, min, skew, std_dev, total_count, type, variance"),
		Entry("unknown key in another style", "server:\n  baseURL: http://x:1\n", "line 2: unknown key server.baseURL (did you mean base_url?)"),
		Entry("a key given twice", good+"server: {}\n", "line 9: server: is given twice (first on line 7); keep one"),
		Entry("keys under a YAML alias are checked too", "defaults: &d {rate: 1}\n", "line 1: unknown key defaults;"),
		Entry("wrong type", "load:\n  stages:\n    - rate: fast\n      duration: 10\n",
			`line 3: load.stages[0].rate: wrong type: want a number, got str "fast"`),
		Entry("wrong type in flow style, several values on the line", "load: {stages: [{rate: fast, duration: 10}], interval: 1}\n",
			`line 1: load.stages[0].rate: wrong type: want a number, got str "fast"`),
		Entry("wrong type for a section", "load: [1, 2]\n", "line 1: load: wrong type: want a mapping, got seq"),
		Entry("fraction where inference-perf wants an integer", "load:\n  stages:\n    - rate: 1\n      duration: 30.5\n",
			"line 4: load.stages[0].duration: 30.5 is not a whole number"),
		Entry("min > max", good+"data: {type: synthetic, input_distribution: {min: 4096, max: 128, mean: 512}, output_distribution: {}}\n",
			"line 9: data.input_distribution.min (4096) > max (128); make min <= max"),
		Entry("negative rate", "load: {stages: [{rate: -5, duration: 10}]}\nserver: {base_url: http://h:1}\n",
			"line 1: load.stages[0].rate: -5; give a request rate in requests per second > 0"),
		Entry("zero duration", "load: {stages: [{rate: 5, duration: 0}]}\n", "load.stages[0].duration: 0; give a stage duration"),
		Entry("empty stages and no sweep", "load: {type: poisson, stages: []}\n", "line 1: load.stages: is empty and there is no load.sweep"),
		Entry("a missing field gets the line of its section", "api: {type: chat}\nload:\n  type: poisson\n", "line 3: load.stages: is empty"),
		Entry("concurrent fields on a constant load", "load: {type: constant, stages: [{rate: 1, duration: 5, num_requests: 10}]}\n",
			"line 1: load.stages[0].num_requests: is for load.type concurrent; remove it, or set load.type: concurrent (load.type is constant)"),
		Entry("concurrent stage without its fields", "load: {type: concurrent, stages: [{rate: 1, duration: 5}]}\n",
			"load.stages[0].num_requests: 0; a concurrent stage needs num_requests > 0", "load.stages[0].concurrency_level: 0;"),
		Entry("sweep with concurrent load", "load: {type: concurrent, stages: [{num_requests: 5, concurrency_level: 1}], sweep: {type: linear}}\n",
			"load.sweep: cannot be used with load.type concurrent"),
		Entry("sweep without its type", "load: {sweep: {num_stages: 3}}\n", `load.sweep.type: "" is not one of geometric, linear`),
		Entry("std_dev and variance (std_dev defaults to 200)", good+"data: {type: random, input_distribution: {variance: 4}, output_distribution: {}}\n",
			"data.input_distribution: both std_dev (200) and variance (4) are set; give one (std_dev defaults to 200, so set std_dev: 0 to use variance)"),
		Entry("unknown enum value", good+"api: {type: grpc}\n", `api.type: "grpc" is not one of completion, chat, anthropic_messages`),
		Entry("use_chat_template outside random", good+"data: {type: mock, use_chat_template: true}\n", "data.use_chat_template: only the random generator supports it"),
		Entry("synthetic without distributions", good+"data: {type: synthetic}\n", "data.input_distribution: is required by the synthetic generator"),
		Entry("lora splits not adding to 1", "load: {stages: [{rate: 1, duration: 1}], lora_traffic_split: [{name: a, split: 0.5}, {name: b, split: 0.4}]}\n",
			"load.lora_traffic_split: the splits add up to 0.9"),
		Entry("prometheus with both url and google_managed", good+"metrics: {type: prometheus, prometheus: {url: http://p:9090, google_managed: true}}\n",
			"metrics.prometheus: exactly one of url and google_managed must be set"),
		Entry("server without base_url", "load: {stages: [{rate: 1, duration: 1}]}\nserver: {type: vllm}\n", "server.base_url: is required"),
		Entry("num_workers 0", "load: {stages: [{rate: 1, duration: 1}], num_workers: 0}\n", "load.num_workers: 0 runs inference-perf's generator inside its main process"),
		Entry("goodput constraint on an unknown metric", good+"report: {goodput: {constraints: {p99_ttft: 1}}}\n", "report.goodput.constraints.p99_ttft: unknown metric"),
		Entry("two documents", good+"---\nload: {}\n", "a second YAML document starts here"),
		Entry("not a mapping", "- a\n- b\n", "the file must be a mapping of sections"),
		Entry("not YAML", "load: {stages: [\n", "not valid YAML"),
	)
})

var _ = Describe("Parse on damaged input", func() {
	It("never panics, and whatever it accepts renders and reads back unchanged", func() {
		fixtures, _ := filepath.Glob(filepath.Join("testdata", "inference-perf", "*"))
		fixtures = append(fixtures, filepath.Join("testdata", "inference-perf-dump", "production-config.yaml"))
		accepted := 0
		for _, path := range fixtures {
			data, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred())
			// Every truncation at a line end or in the middle of a line, and the file with
			// each line dropped in turn: the kinds of damage a hand edit or a cut copy makes.
			lines := strings.SplitAfter(string(data), "\n")
			var variants []string
			for i := range lines {
				variants = append(variants, strings.Join(lines[:i], ""))
				variants = append(variants, strings.Join(lines[:i], "")+lines[i][:len(lines[i])/2])
				variants = append(variants, strings.Join(lines[:i], "")+strings.Join(lines[i+1:], ""))
			}
			for _, v := range variants {
				var c scenarios.Config
				var err error
				Expect(func() { c, err = scenarios.Parse([]byte(v)) }).NotTo(Panic(), "input:\n%s", v)
				if err != nil {
					Expect(err.Error()).NotTo(BeEmpty())
					continue
				}
				accepted++
				Expect(roundTrip(c)).To(Equal(c), "input:\n%s", v)
			}
		}
		Expect(accepted).To(BeNumerically(">", 50), "the damage should leave many configs valid")
	})
})
