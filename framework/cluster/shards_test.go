package cluster_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("a sharded native-engine run (TAILGATE_SHARDS)", func() {
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	sharded := func() cluster.BenchmarkInput {
		return cluster.BenchmarkInput{Namespace: "tailgate-bench-1", Config: []byte("server:\n  base_url: http://t:8000\n"),
			Engine: cluster.EngineNative, Image: "tailgate:test", Shards: 3, StartAt: start}
	}

	It("renders one Indexed Job of N pods, each running its own shard from the shared start", func() {
		in := sharded()
		in.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3")}}
		o, err := cluster.RenderBenchmark(in)
		Expect(err).NotTo(HaveOccurred())
		spec := o.Job.Spec
		Expect(spec.CompletionMode).To(HaveValue(Equal(batchv1.IndexedCompletion)))
		Expect(spec.Completions).To(HaveValue(BeEquivalentTo(3)))
		Expect(spec.Parallelism).To(HaveValue(BeEquivalentTo(3)))
		Expect(spec.BackoffLimitPerIndex).To(HaveValue(BeEquivalentTo(0)), "a failed shard is not retried into a pass")
		Expect(spec.BackoffLimit).To(BeNil(), "one shard's failure must not stop the others")
		c := spec.Template.Spec.Containers[0]
		Expect(c.Args[0]).To(ContainSubstring(`tailgate run --config /tailgate/config.yml`))
		Expect(c.Args[0]).To(ContainSubstring(`--shard "$JOB_COMPLETION_INDEX/3" --start-at 2026-12-01T15:00:00Z`))
		Expect(c.Resources.Requests.Cpu().String()).To(Equal("3"), "the resources setting sizes every shard pod")

		By("the shards prefer distinct nodes, and still may share one")
		anti := spec.Template.Spec.Affinity.PodAntiAffinity
		Expect(anti.RequiredDuringSchedulingIgnoredDuringExecution).To(BeEmpty())
		Expect(anti.PreferredDuringSchedulingIgnoredDuringExecution).To(HaveLen(1))
		term := anti.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm
		Expect(term.TopologyKey).To(Equal("kubernetes.io/hostname"))
		Expect(term.LabelSelector.MatchLabels).To(Equal(map[string]string{cluster.RunLabel: "tailgate-bench-1"}))
	})

	It("keeps the target affinity beside the spreading, and a single run unsharded", func() {
		in := sharded()
		in.Affinity = &cluster.TargetAffinity{Namespace: "default", Labels: map[string]string{"app": "vllm"}}
		o, err := cluster.RenderBenchmark(in)
		Expect(err).NotTo(HaveOccurred())
		Expect(o.Job.Spec.Template.Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution).To(HaveLen(1))
		Expect(o.Job.Spec.Template.Spec.Affinity.PodAntiAffinity).NotTo(BeNil())

		in.Shards = 1
		o, err = cluster.RenderBenchmark(in)
		Expect(err).NotTo(HaveOccurred())
		Expect(o.Job.Spec.CompletionMode).To(BeNil())
		Expect(o.Job.Spec.Template.Spec.Affinity.PodAntiAffinity).To(BeNil())
		Expect(o.Job.Spec.Template.Spec.Containers[0].Args[0]).NotTo(ContainSubstring("--shard"))
	})

	It("refuses to shard inference-perf, whose reports hold percentiles only, and a shard run without a start", func() {
		in := sharded()
		in.Engine, in.Image = cluster.EngineInferencePerf, ""
		_, err := cluster.RenderBenchmark(in)
		Expect(err).To(MatchError(And(ContainSubstring("cannot be sharded"), ContainSubstring("percentiles only"))))
		in = sharded()
		in.StartAt = time.Time{}
		_, err = cluster.RenderBenchmark(in)
		Expect(err).To(MatchError(ContainSubstring("need StartAt")))
	})

	It("refuses to shard a sweep before creating anything: its saturation probe needs one generator", func() {
		r := &cluster.JobRunner{Benchmark: cluster.BenchmarkInput{Engine: cluster.EngineNative, Image: "tailgate:test", Shards: 3}}
		_, err := r.Render(withTarget(scenarios.Sweep()), "tailgate-bench-1")
		Expect(err).To(MatchError(ContainSubstring("load.sweep cannot be sharded")))
		r.Benchmark.Shards = 1
		_, err = r.Render(withTarget(scenarios.Sweep()), "tailgate-bench-1")
		Expect(err).NotTo(HaveOccurred())
	})

	It("reads TAILGATE_SHARDS and refuses a bad value or the inference-perf runner before touching a cluster", func(ctx context.Context) {
		noCluster := map[string]string{cluster.EnvKubeconfig: "/nonexistent/kubeconfig", cluster.EnvImage: "tailgate:test"}
		setup := func(engine cluster.Engine, k, v string) error {
			m := map[string]string{k: v}
			for a, b := range noCluster {
				m[a] = b
			}
			s, err := cluster.SettingsFromEnv(envOf(m))
			if err != nil {
				return err
			}
			_, err = cluster.SetupJobRunner(ctx, engine, s, nil)
			return err
		}
		err := setup(cluster.EngineInferencePerf, cluster.EnvShards, "3")
		Expect(err).To(MatchError(And(ContainSubstring("TAILGATE_SHARDS=3"), ContainSubstring("percentiles only"))))
		err = setup(cluster.EngineNative, cluster.EnvShards, "three")
		Expect(err).To(MatchError(ContainSubstring(`TAILGATE_SHARDS="three": want a whole number`)))
		err = setup(cluster.EngineNative, cluster.EnvShards, "0")
		Expect(err).To(MatchError(ContainSubstring(`TAILGATE_SHARDS="0"`)))
		err = setup(cluster.EngineNative, cluster.EnvShardStartDelay, "soon")
		Expect(err).To(MatchError(ContainSubstring(`TAILGATE_SHARD_START_DELAY="soon"`)))
	})
})
