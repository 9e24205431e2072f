package cluster_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/scenarios"
)

const image030 = "quay.io/inference-perf/inference-perf:v0.3.0"

var _ = Describe("a scenario checked against the inference-perf release it runs on", func() {
	render := func(cfg scenarios.Config, image string) (*cluster.BenchmarkObjects, error) {
		r := &cluster.JobRunner{Benchmark: cluster.BenchmarkInput{Image: image}}
		return r.Render(withTarget(cfg), "tailgate-check")
	}
	parse := func(yml string) scenarios.Config {
		GinkgoHelper()
		cfg, err := scenarios.Parse([]byte(yml))
		Expect(err).NotTo(HaveOccurred())
		return cfg
	}

	DescribeTable("reads the release from the image tag",
		func(image string, want cluster.Release, ok bool) {
			got, gotOK := cluster.ImageRelease(image)
			Expect(gotOK).To(Equal(ok))
			Expect(got).To(Equal(want))
		},
		Entry("the guide's image", cluster.DefaultInferencePerfImage, cluster.Release{Minor: 2}, true),
		Entry("a registry with a port", "localhost:5000/inference-perf:v0.6.1", cluster.Release{Minor: 6, Patch: 1}, true),
		Entry("a tag and a digest", "quay.io/inference-perf/inference-perf:v0.3.0@sha256:abcd", cluster.Release{Minor: 3}, true),
		Entry("latest", "quay.io/inference-perf/inference-perf:latest", cluster.Release{}, false),
		Entry("no tag", "localhost:5000/inference-perf", cluster.Release{}, false),
	)

	It("refuses the sweep on v0.2.0, which crashes on it, and renders it for v0.3.0", func() {
		_, err := render(scenarios.Sweep(), "")
		Expect(err).To(MatchError(ContainSubstring("load.sweep: inference-perf before v0.3.0 crashes at startup on a sweep")))
		Expect(err).To(MatchError(ContainSubstring("TAILGATE_INFERENCE_PERF_IMAGE")))
		objs, err := render(scenarios.Sweep(), image030)
		Expect(err).NotTo(HaveOccurred())
		Expect(objs.ConfigMap.Data["config.yml"]).To(ContainSubstring("sweep:"))
	})

	It("gives v0.2.0 the shared_prefix key names it reads, and newer releases theirs", func() {
		cfg := parse(`
data:
  type: shared_prefix
  shared_prefix: {num_unique_system_prompts: 4, num_users_per_system_prompt: 25, system_prompt_len: 128, question_len: 64, output_len: 64}
load: {type: constant, stages: [{rate: 5, duration: 60}]}
server: {base_url: "http://t:8000"}
`)
		objs, err := render(cfg, "")
		Expect(err).NotTo(HaveOccurred())
		yml := objs.ConfigMap.Data["config.yml"]
		Expect(yml).To(ContainSubstring("num_groups: 4"))
		Expect(yml).To(ContainSubstring("num_prompts_per_group: 25"))
		Expect(yml).NotTo(ContainSubstring("num_unique_system_prompts"))
		objs, err = render(cfg, image030)
		Expect(err).NotTo(HaveOccurred())
		Expect(objs.ConfigMap.Data["config.yml"]).To(ContainSubstring("num_unique_system_prompts: 4"))
	})

	It("refuses on v0.2.0 every key it would ignore, with the reason", func() {
		cfg := scenarios.Production()
		cfg.Data.InputDistribution.Type = scenarios.DistLognormal
		cfg.Storage = &scenarios.StorageConfig{LocalStorage: &scenarios.LocalStorageConfig{Path: "reports"}, SimpleStorageService: &scenarios.S3StorageConfig{
			BucketName: "b", Path: "p", EndpointURL: ptrTo("http://127.0.0.1:9000"), RegionName: ptrTo("eu-west-1")}}
		_, err := render(cfg, "")
		Expect(err).To(MatchError(ContainSubstring("data.input_distribution.type: v0.2.0 has no distribution.type and would draw a normal distribution instead")))
		Expect(err).To(MatchError(ContainSubstring("storage.simple_storage_service.endpoint_url: v0.2.0 uploads with a plain boto3 client")))
		Expect(err).To(MatchError(ContainSubstring("storage.simple_storage_service.region_name: ")))
		_, err = render(cfg, image030)
		Expect(err).NotTo(HaveOccurred())
	})

	It("refuses a load type v0.2.0 does not have", func() {
		cfg := parse(`
load: {type: concurrent, stages: [{num_requests: 100, concurrency_level: 8}]}
server: {base_url: "http://t:8000"}
`)
		_, err := render(cfg, "")
		Expect(err).To(MatchError(ContainSubstring(`load.type: "concurrent" is not one of constant, poisson in v0.2.0`)))
	})
})

func ptrTo[T any](v T) *T { return &v }
