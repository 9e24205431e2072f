package cluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/tailgate-dev/tailgate/framework/cluster"
)

// standIns writes stand-in kind, docker and go executables into a new directory. Each
// appends its command line to calls.log. The kind stand-in keeps the cluster's
// existence in a file, prints kubeconfig for `get kubeconfig`, and fails `load
// docker-image` the way kind does on Docker's containerd image store (kind #3795).
func standIns(kubeconfig string) (dir string) {
	GinkgoHelper()
	dir = GinkgoT().TempDir()
	log, state := filepath.Join(dir, "calls.log"), filepath.Join(dir, "cluster.state")
	write := func(name, body string) {
		Expect(os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\necho \""+name+" $*\" >> "+log+"\n"+body), 0o755)).To(Succeed())
	}
	write("kind", `case "$1 $2" in
"get clusters") [ -f `+state+` ] && cat `+state+`; exit 0 ;;
"create cluster") echo "$4" > `+state+`; exit 0 ;;
"get kubeconfig") cat `+kubeconfig+`; exit 0 ;;
"load docker-image")
  echo 'ERROR: failed to load image: command "docker exec --privileged -i tailgate-control-plane ctr --namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -" failed with error: exit status 1' >&2
  echo 'ctr: content digest sha256:5f2b4e1c: not found' >&2
  exit 1 ;;
"load image-archive") [ -s "$5" ] || { echo "no archive at $5" >&2; exit 1; }; exit 0 ;;
"delete cluster") rm -f `+state+`; exit 0 ;;
esac
echo "unexpected: $*" >&2
exit 2
`)
	write("docker", `[ "$1" = save ] && [ "$2" = -o ] && printf 'image tar' > "$3" && exit 0
exit 2
`)
	write("go", "exit 1\n")
	return dir
}

func calls(dir string) []string {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(dir, "calls.log"))
	if os.IsNotExist(err) {
		return nil
	}
	Expect(err).NotTo(HaveOccurred())
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

var _ = Describe("the kind provider", func() {
	It("never installs kind: without kind on PATH or TAILGATE_KIND_BINARY it says how to get it", func(ctx SpecContext) {
		dir := standIns("/dev/null")
		Expect(os.Remove(filepath.Join(dir, "kind"))).To(Succeed())
		GinkgoT().Setenv("PATH", dir)
		_, err := cluster.Setup(ctx, cluster.Options{Provider: cluster.Kind})
		Expect(err).To(MatchError(ContainSubstring("no kind on PATH; install it")))
		Expect(err).To(MatchError(ContainSubstring("TAILGATE_KIND_BINARY")))
		Expect(calls(dir)).To(BeEmpty(), "not even go install")
	})

	It("reads the kind binary, node image and docker CLI from the environment", func() {
		s, err := cluster.SettingsFromEnv(envOf(map[string]string{cluster.EnvProvider: "kind",
			cluster.EnvKindBinary: "/opt/kind", cluster.EnvKindImage: "kindest/node:v1.35.0", cluster.EnvDocker: "/opt/docker"}))
		Expect(err).NotTo(HaveOccurred())
		o := s.Cluster
		Expect(o.Binary).To(Equal("/opt/kind"))
		Expect(o.KindNodeImage).To(Equal("kindest/node:v1.35.0"))
		Expect(o.DockerBinary).To(Equal("/opt/docker"))
	})
})

var _ = Describe("the kind provider with a stand-in kind, on the control plane", Label("cluster"), func() {
	It("creates with the node image, loads an image through an archive on the containerd-store error, deletes, and never runs go install", func(ctx SpecContext) {
		kc := os.Getenv(EnvTestKubeconfig)
		if kc == "" {
			if os.Getenv("CI") == "true" {
				Fail(EnvTestKubeconfig + " is unset in CI")
			}
			Skip(EnvTestKubeconfig + " is unset")
		}
		dir := standIns(kc)
		GinkgoT().Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		kindControlPlanePods(ctx, kc)

		name := "tailgate-kind-" + fmt.Sprint(GinkgoRandomSeed())
		c, err := cluster.Setup(ctx, cluster.Options{Provider: cluster.Kind, Name: name,
			KindNodeImage: "kindest/node:v1.35.0", DockerBinary: filepath.Join(dir, "docker")})
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Created()).To(BeTrue())
		Expect(c.LoadImage(ctx, "tailgate:dev")).To(Succeed())
		Expect(c.Teardown(ctx)).To(Succeed())

		got := calls(dir)
		Expect(got).To(ContainElement("kind create cluster --name " + name + " --image kindest/node:v1.35.0"))
		Expect(got).To(ContainElement("kind load docker-image --name " + name + " tailgate:dev"))
		Expect(got).To(ContainElement(MatchRegexp(`^docker save -o \S+/image\.tar tailgate:dev$`)))
		Expect(got).To(ContainElement(MatchRegexp(`^kind load image-archive --name ` + name + ` \S+/image\.tar$`)))
		Expect(got).To(ContainElement("kind delete cluster --name " + name))
		Expect(got).NotTo(ContainElement(HavePrefix("go ")))
	})
})

// kindControlPlanePods gives the control plane the pods e2e-framework waits for after a
// kind cluster is created (etcd, kube-apiserver, ..., kube-proxy), for the spec's life.
func kindControlPlanePods(ctx context.Context, kubeconfig string) {
	GinkgoHelper()
	c, err := cluster.Setup(ctx, cluster.Options{Provider: cluster.Kubeconfig, Kubeconfig: kubeconfig})
	Expect(err).NotTo(HaveOccurred())
	res, err := resources.New(c.RESTConfig())
	Expect(err).NotTo(HaveOccurred())
	ns := "tailgate-kindsim-" + fmt.Sprint(GinkgoRandomSeed())
	Expect(res.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	DeferCleanup(func(ctx SpecContext) { Expect(cluster.DeleteNamespace(ctx, res, ns)).To(Succeed()) })
	labels := map[string][]string{"component": {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"},
		"k8s-app": {"kindnet", "kube-dns", "kube-proxy"}}
	for key, values := range labels {
		for _, v := range values {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: v, Namespace: ns, Labels: map[string]string{key: v}},
				Spec: corev1.PodSpec{NodeSelector: map[string]string{"tailgate.dev/no-such-node": "true"},
					Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}}}
			Expect(res.Create(ctx, pod)).To(Succeed())
		}
	}
}
