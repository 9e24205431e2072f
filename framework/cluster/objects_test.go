package cluster_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/tailgate-dev/tailgate/framework/cluster"
)

var _ = Describe("RenderBenchmark", func() {
	base := func() cluster.BenchmarkInput {
		return cluster.BenchmarkInput{Namespace: "tailgate-bench-1", Config: []byte("server:\n  base_url: http://t:8000\n")}
	}

	It("puts every object in the run's namespace, the ServiceAccount included, with the guide's defaults", func() {
		o, err := cluster.RenderBenchmark(base())
		Expect(err).NotTo(HaveOccurred())
		Expect(o.Namespace.Name).To(Equal("tailgate-bench-1"))
		Expect(o.Namespace.Labels).To(HaveKeyWithValue(cluster.RunLabel, "tailgate-bench-1"))
		for _, obj := range o.Namespaced() {
			Expect(obj.GetNamespace()).To(Equal("tailgate-bench-1"))
			Expect(obj.GetLabels()).To(HaveKeyWithValue(cluster.RunLabel, "tailgate-bench-1"))
		}
		Expect(o.Secret).To(BeNil())
		pod := o.Job.Spec.Template.Spec
		Expect(pod.ServiceAccountName).To(Equal(o.ServiceAccount.Name))
		Expect(pod.RestartPolicy).To(Equal(corev1.RestartPolicyNever))
		Expect(pod.Containers[0].Image).To(Equal(cluster.DefaultInferencePerfImage))
		Expect(pod.Containers[0].Command).To(Equal([]string{"/bin/sh", "-c"}))
		Expect(pod.Containers[0].Args[0]).To(ContainSubstring("inference-perf --config_file /tailgate/config.yml"))
		Expect(pod.Volumes[0].ConfigMap.Name).To(Equal(o.ConfigMap.Name))
		Expect(*o.Job.Spec.BackoffLimit).To(BeEquivalentTo(0))
		Expect(*o.Job.Spec.TTLSecondsAfterFinished).To(BeEquivalentTo(3600))
		Expect(o.ConfigMap.Data["config.yml"]).To(Equal("server:\n  base_url: http://t:8000\n"))
	})

	It("keeps secrets out of the ConfigMap and passes them through a Secret", func() {
		in := base()
		in.APIKey, in.HFToken = "sk-1", "hf_1"
		in.SecretConfig = []byte("server:\n  api_key: sk-1\n")
		in.IRSARoleARN = "arn:aws:iam::1:role/r"
		o, err := cluster.RenderBenchmark(in)
		Expect(err).NotTo(HaveOccurred())
		Expect(o.ConfigMap.Data["config.yml"]).NotTo(ContainSubstring("sk-1"))
		Expect(o.Secret.Data).To(HaveKeyWithValue("secrets.yml", []byte("server:\n  api_key: sk-1\n")))
		Expect(o.Secret.Data).To(HaveKeyWithValue("hf-token", []byte("hf_1")))
		c := o.Job.Spec.Template.Spec.Containers[0]
		Expect(c.Env).To(ContainElement(HaveField("Name", "HF_TOKEN")))
		Expect(c.Env).NotTo(ContainElement(HaveField("Name", "TAILGATE_API_KEY")), "inference-perf reads the key from the merged config")
		for _, e := range c.Env {
			Expect(e.Value).To(BeEmpty(), "env %s must come from the Secret, not a literal", e.Name)
		}
		Expect(c.VolumeMounts).To(ContainElement(HaveField("MountPath", "/etc/tailgate-secrets")))
		Expect(o.ServiceAccount.Annotations).To(HaveKeyWithValue("eks.amazonaws.com/role-arn", "arn:aws:iam::1:role/r"))
	})

	It("builds an affinity that names the target's namespace, unlike the chart's", func() {
		in := base()
		in.Affinity = &cluster.TargetAffinity{Namespace: "default", Labels: map[string]string{"app.kubernetes.io/component": "qwen3-vllm"}}
		o, err := cluster.RenderBenchmark(in)
		Expect(err).NotTo(HaveOccurred())
		term := o.Job.Spec.Template.Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0]
		Expect(term.Namespaces).To(Equal([]string{"default"}))
		Expect(term.LabelSelector.MatchLabels).To(Equal(map[string]string{"app.kubernetes.io/component": "qwen3-vllm"}))
		Expect(term.TopologyKey).To(Equal("topology.kubernetes.io/zone"))

		in.Affinity = &cluster.TargetAffinity{Labels: map[string]string{"app": "x"}}
		_, err = cluster.RenderBenchmark(in)
		Expect(err).To(MatchError(ContainSubstring("affinity needs the target's namespace and pod labels")))
	})

	It("runs the native engine in the tailgate image, with the API key from the Secret", func() {
		in := base()
		in.Engine = cluster.EngineNative
		_, err := cluster.RenderBenchmark(in)
		Expect(err).To(MatchError(ContainSubstring("image is required for the native engine")))
		in.Image, in.APIKey = "tailgate:dev", "sk-2"
		in.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}
		o, err := cluster.RenderBenchmark(in)
		Expect(err).NotTo(HaveOccurred())
		c := o.Job.Spec.Template.Spec.Containers[0]
		Expect(c.Image).To(Equal("tailgate:dev"))
		Expect(c.Args[0]).To(ContainSubstring("tailgate run --config /tailgate/config.yml --report-dir /tailgate/reports"))
		Expect(c.Env).To(ContainElement(HaveField("Name", "TAILGATE_API_KEY")))
		Expect(c.Resources.Requests.Cpu().String()).To(Equal("2"))
	})

	It("gives the pod the chart's resources and the images' architecture by default", func() {
		o, err := cluster.RenderBenchmark(base())
		Expect(err).NotTo(HaveOccurred())
		pod := o.Job.Spec.Template.Spec
		r := pod.Containers[0].Resources
		Expect(r.Requests.Cpu().String()).To(Equal("2"))
		Expect(r.Requests.Memory().String()).To(Equal("4Gi"))
		Expect(r.Limits.Cpu().String()).To(Equal("4"))
		Expect(r.Limits.Memory().String()).To(Equal("8Gi"))
		Expect(pod.NodeSelector).To(Equal(map[string]string{"kubernetes.io/arch": "amd64"}))
	})

	It("lets resources and architecture be set", func() {
		in := base()
		var err error
		in.Resources, err = cluster.ParseResources("requests.cpu=8, limits.memory=16Gi, limits.cpu=none")
		Expect(err).NotTo(HaveOccurred())
		in.Arch = "arm64"
		in.NodeSelector = map[string]string{"pool": "bench"}
		o, err := cluster.RenderBenchmark(in)
		Expect(err).NotTo(HaveOccurred())
		pod := o.Job.Spec.Template.Spec
		r := pod.Containers[0].Resources
		Expect(r.Requests.Cpu().String()).To(Equal("8"))
		Expect(r.Requests.Memory().String()).To(Equal("4Gi"))
		Expect(r.Limits.Memory().String()).To(Equal("16Gi"))
		Expect(r.Limits).NotTo(HaveKey(corev1.ResourceCPU))
		Expect(pod.NodeSelector).To(Equal(map[string]string{"kubernetes.io/arch": "arm64", "pool": "bench"}))

		in.Arch = "any"
		o, err = cluster.RenderBenchmark(in)
		Expect(err).NotTo(HaveOccurred())
		Expect(o.Job.Spec.Template.Spec.NodeSelector).To(Equal(map[string]string{"pool": "bench"}))

		_, err = cluster.ParseResources("cpu=2")
		Expect(err).To(MatchError(ContainSubstring(`"cpu=2": want requests.<resource>=<quantity>`)))
		_, err = cluster.ParseResources("limits.memory=lots")
		Expect(err).To(MatchError(ContainSubstring("lots is not a quantity")))
	})

	It("names the field at fault", func() {
		in := base()
		in.Namespace = "Not_A_Namespace"
		_, err := cluster.RenderBenchmark(in)
		Expect(err).To(MatchError(ContainSubstring(`namespace "Not_A_Namespace"`)))
		in = base()
		in.Config = nil
		_, err = cluster.RenderBenchmark(in)
		Expect(err).To(MatchError(ContainSubstring("config is empty")))
		in = base()
		in.Engine = "vllm-bench"
		_, err = cluster.RenderBenchmark(in)
		Expect(err).To(MatchError(ContainSubstring(`engine "vllm-bench"`)))
	})
})
