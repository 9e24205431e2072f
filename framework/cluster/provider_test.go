package cluster_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/tailgate-dev/tailgate/framework/cluster"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// settingsOf parses settings from variables, failing the spec on a bad one.
func settingsOf(m map[string]string) cluster.Settings {
	GinkgoHelper()
	s, err := cluster.SettingsFromEnv(envOf(m))
	Expect(err).NotTo(HaveOccurred())
	return s
}

var _ = Describe("cluster settings from the environment", func() {
	It("default to the kubeconfig provider and the cluster name tailgate", func() {
		s, err := cluster.SettingsFromEnv(envOf(map[string]string{cluster.EnvKubeconfig: "/tmp/kc"}))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Cluster.Provider).To(Equal(cluster.Kubeconfig))
		Expect(s.Cluster.Kubeconfig).To(Equal("/tmp/kc"))
		Expect(s.Cluster.Name).To(Equal("tailgate"))
		Expect(s.Cluster.Reuse).To(BeFalse())
	})

	It("read kind with reuse and keep", func() {
		s, err := cluster.SettingsFromEnv(envOf(map[string]string{
			cluster.EnvProvider: "Kind", cluster.EnvName: "ci", cluster.EnvReuse: "true", cluster.EnvKeep: "1",
			cluster.EnvKindImage: "kindest/node:v1.35.0", cluster.EnvKindBinary: "/opt/kind"}))
		Expect(err).NotTo(HaveOccurred())
		o := s.Cluster
		Expect(o.Provider).To(Equal(cluster.Kind))
		Expect(o.Name).To(Equal("ci"))
		Expect(o.Reuse).To(BeTrue())
		Expect(o.Keep).To(BeTrue())
		Expect(o.KindNodeImage).To(Equal("kindest/node:v1.35.0"))
		Expect(o.Binary).To(Equal("/opt/kind"))
	})

	It("name the variable and the choices on bad input", func() {
		_, err := cluster.SettingsFromEnv(envOf(map[string]string{cluster.EnvProvider: "eks"}))
		Expect(err).To(MatchError(`TAILGATE_CLUSTER="eks": want kubeconfig, kind, kwok or the path of a kubeconfig file`))
		_, err = cluster.SettingsFromEnv(envOf(map[string]string{cluster.EnvReuse: "yes please"}))
		Expect(err).To(MatchError(ContainSubstring(`TAILGATE_CLUSTER_REUSE="yes please": want true or false`)))
		_, err = cluster.SettingsFromEnv(envOf(map[string]string{cluster.EnvBenchmarkLabels: "team"}))
		Expect(err).To(MatchError(`TAILGATE_BENCHMARK_POD_LABELS: "team": want key=value[,key=value]`))
	})

	It("take the path of a kubeconfig file as the cluster, and refuse two different ones", func() {
		kc := filepath.Join(GinkgoT().TempDir(), "kubeconfig")
		Expect(os.WriteFile(kc, []byte("apiVersion: v1\nkind: Config\n"), 0o600)).To(Succeed())
		s, err := cluster.SettingsFromEnv(envOf(map[string]string{cluster.EnvProvider: kc}))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Cluster.Provider).To(Equal(cluster.Kubeconfig))
		Expect(s.Cluster.Kubeconfig).To(Equal(kc))
		_, err = cluster.SettingsFromEnv(envOf(map[string]string{cluster.EnvProvider: kc, cluster.EnvKubeconfig: "/other/kubeconfig"}))
		Expect(err).To(MatchError(fmt.Sprintf(`TAILGATE_CLUSTER=%q and TAILGATE_KUBECONFIG="/other/kubeconfig" name two kubeconfig files; give one`, kc)))
		_, err = cluster.SettingsFromEnv(envOf(map[string]string{cluster.EnvProvider: filepath.Dir(kc)}))
		Expect(err).To(MatchError(ContainSubstring("want kubeconfig, kind, kwok or the path of a kubeconfig file")), "a directory")
	})

	It("name a bad runner setting before touching any cluster", func() {
		env := map[string]string{cluster.EnvKubeconfig: "/nonexistent/kubeconfig", cluster.EnvBenchmarkResources: "cpu=2"}
		_, err := cluster.SettingsFromEnv(envOf(env))
		Expect(err).To(MatchError(ContainSubstring(`TAILGATE_BENCHMARK_RESOURCES: "cpu=2"`)))
		delete(env, cluster.EnvBenchmarkResources)
		env[cluster.EnvInferencePerfImage] = "quay.io/inference-perf/inference-perf:v0.3.0"
		env[cluster.EnvBenchmarkImage] = "quay.io/inference-perf/inference-perf:v0.2.0"
		_, err = cluster.SettingsFromEnv(envOf(env))
		Expect(err).To(MatchError(ContainSubstring("disagree; set only TAILGATE_INFERENCE_PERF_IMAGE")))
	})

	It("explains a missing kubeconfig", func(ctx SpecContext) {
		_, err := cluster.Setup(ctx, cluster.Options{Kubeconfig: "/nonexistent/kubeconfig"})
		Expect(err).To(MatchError(ContainSubstring(`kubeconfig "/nonexistent/kubeconfig"`)))
		Expect(err).To(MatchError(ContainSubstring("TAILGATE_KUBECONFIG")))
	})
})

var _ = Describe("the kwok provider (e2e-framework) with the local control plane's kwokctl", Label("cluster"), func() {
	var kwokctl string

	BeforeEach(func() {
		kc := os.Getenv(EnvTestKubeconfig)
		if kc == "" {
			if os.Getenv("CI") == "true" {
				Fail(EnvTestKubeconfig + " is unset in CI")
			}
			Skip(EnvTestKubeconfig + " is unset")
		}
		// hack/controlplane/up.sh links kwokctl and its work directory next to the kubeconfig.
		kwokctl = filepath.Join(filepath.Dir(kc), "kwokctl")
		if _, err := os.Stat(kwokctl); err != nil {
			Skip("no kwokctl next to " + kc + " (start the control plane with hack/controlplane/up.sh)")
		}
		GinkgoT().Setenv("KWOK_WORKDIR", filepath.Join(filepath.Dir(kc), "kwok-workdir"))
	})

	existing := func() string {
		out, err := exec.Command(kwokctl, "get", "clusters").Output()
		Expect(err).NotTo(HaveOccurred())
		names := strings.Fields(string(out))
		Expect(names).NotTo(BeEmpty(), "the control plane's kwok cluster should be listed")
		return names[0]
	}

	It("refuses a cluster that already exists unless asked to reuse it", func(ctx SpecContext) {
		_, err := cluster.Setup(ctx, cluster.Options{Provider: cluster.Kwok, Name: existing(), Binary: kwokctl})
		Expect(err).To(MatchError(ContainSubstring("already exists and was not created by this run")))
		Expect(err).To(MatchError(ContainSubstring(cluster.EnvReuse + "=true")))
	})

	It("reuses an existing cluster and never deletes it", func(ctx SpecContext) {
		name := existing()
		c, err := cluster.Setup(ctx, cluster.Options{Provider: cluster.Kwok, Name: name, Binary: kwokctl, Reuse: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Created()).To(BeFalse())
		res, err := resources.New(c.RESTConfig())
		Expect(err).NotTo(HaveOccurred())
		var nodes corev1.NodeList
		Expect(res.List(ctx, &nodes)).To(Succeed())
		Expect(nodes.Items).NotTo(BeEmpty())

		Expect(c.Teardown(ctx)).To(Succeed())
		Expect(existing()).To(Equal(name))
		Expect(res.List(ctx, &nodes)).To(Succeed(), "the reused cluster must still answer after Teardown")

		Expect(c.LoadImage(ctx, "tailgate:dev")).To(MatchError(ContainSubstring("kwok clusters cannot load images")))
	})
})
