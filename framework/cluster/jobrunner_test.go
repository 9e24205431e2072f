package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// EnvTestKubeconfig names the kubeconfig of the control plane the cluster tests use
// (hack/controlplane/up.sh prints it).
const EnvTestKubeconfig = "TAILGATE_TEST_KUBECONFIG"

// kwok's chaos stage (loaded by hack/controlplane/up.sh) fails the container of a
// running pod that carries this label.
const kwokFailLabel = "pod-container-running-failed.stage.kwok.x-k8s.io"

var _ = Describe("JobRunner on a real control plane (kube-apiserver, etcd, kwok nodes)", Ordered, Label("cluster"), func() {
	var (
		c   *cluster.Cluster
		res *resources.Resources
	)

	BeforeAll(func(ctx SpecContext) {
		c, res = testCluster(ctx)
		Expect(c.Created()).To(BeFalse())
		By("waiting for a Ready kwok node")
		Eventually(ctx, func(g Gomega) {
			var nodes corev1.NodeList
			g.Expect(res.List(ctx, &nodes)).To(Succeed())
			g.Expect(nodes.Items).To(ContainElement(Satisfy(nodeReady)))
		}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
	})

	scenario := func() scenarios.Config {
		cfg := scenarios.Production()
		cfg.Server.BaseURL = "http://qwen3-vllm.default:8000"
		return cfg
	}

	// serveLog makes kwok serve log as the container log of every pod in namespace ns,
	// the way a real kubelet serves what the container printed.
	serveLog := func(ctx context.Context, ns, log string) {
		GinkgoHelper()
		file := filepath.Join(GinkgoT().TempDir(), "container.log")
		Expect(os.WriteFile(file, criLog(log), 0o644)).To(Succeed())
		cl := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "kwok.x-k8s.io/v1alpha1",
			"kind":       "ClusterLogs",
			"metadata":   map[string]any{"name": "logs-" + ns},
			"spec": map[string]any{
				"selector": map[string]any{"matchNamespaces": []any{ns}},
				"logs":     []any{map[string]any{"logsFile": file}},
			},
		}}
		Expect(res.Create(ctx, cl)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) {
			Expect(res.Delete(ctx, cl)).To(Succeed())
		})
	}

	expectGone := func(ctx context.Context, ns string) {
		GinkgoHelper()
		expectNamespaceGone(ctx, res, ns)
	}

	runner := func(ns string) *cluster.JobRunner {
		return &cluster.JobRunner{
			Client:       c.Client,
			Namespace:    ns,
			PollInterval: 500 * time.Millisecond,
			Timeout:      2 * time.Minute,
			Progress:     GinkgoWriter,
		}
	}

	It("renders objects the API server accepts (server-side dry-run) for every preset", func(ctx SpecContext) {
		ns := "tailgate-dryrun-" + fmt.Sprint(GinkgoRandomSeed())
		Expect(res.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{cluster.RunLabel: ns}}})).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(cluster.DeleteNamespace(ctx, res, ns)).To(Succeed()) })
		r := runner(ns)
		r.Benchmark = cluster.BenchmarkInput{
			HFToken:     "hf_dry_run_token",
			IRSARoleARN: "arn:aws:iam::123456789012:role/inference-perf",
			Affinity:    &cluster.TargetAffinity{Namespace: "default", Labels: map[string]string{"app.kubernetes.io/component": "qwen3-vllm"}},
		}
		for _, name := range []string{"baseline", "saturation", "sweep", "production"} {
			cfg, err := scenarios.Preset(name)
			Expect(err).NotTo(HaveOccurred())
			if cfg.Server == nil || cfg.Server.BaseURL == "" {
				cfg = withTarget(cfg)
			}
			cfg.Server.APIKey = "sk-dry-run-key"
			r.Benchmark.Image = ""
			if name == "sweep" {
				r.Benchmark.Image = image030 // v0.2.0 crashes on a sweep
			}
			objs, err := r.Render(cfg, ns)
			Expect(err).NotTo(HaveOccurred(), name)
			Expect(objs.Job.Spec.ActiveDeadlineSeconds).To(HaveValue(BeEquivalentTo((2*time.Minute+cluster.JobDeadlineMargin)/time.Second)),
				"%s: the Job ends on its own a margin after tailgate stops waiting", name)
			Expect(objs.ConfigMap.Data["config.yml"]).NotTo(ContainSubstring("sk-dry-run-key"), name)
			Expect(objs.ConfigMap.Data["config.yml"]).NotTo(ContainSubstring("hf_dry_run_token"), name)
			Expect(objs.Secret).NotTo(BeNil(), name)
			for _, o := range objs.Namespaced() {
				err := res.Create(ctx, o, func(co *metav1.CreateOptions) { co.DryRun = []string{metav1.DryRunAll} })
				Expect(err).NotTo(HaveOccurred(), "%s: %T %s", name, o, o.GetName())
			}
		}
		r.Timeout = 0
		prod := withTarget(scenarios.Production())
		objs, err := r.Render(prod, ns)
		Expect(err).NotTo(HaveOccurred())
		Expect(objs.Job.Spec.ActiveDeadlineSeconds).To(HaveValue(BeEquivalentTo((2*prod.PlannedDuration()+15*time.Minute+cluster.JobDeadlineMargin)/time.Second)),
			"with no Timeout, the deadline follows the scenario's planned duration")
		var jobs batchv1.JobList
		Expect(res.WithNamespace(ns).List(ctx, &jobs)).To(Succeed())
		Expect(jobs.Items).To(BeEmpty(), "a dry-run must not create anything")
	})

	It("runs the inference-perf Job to completion, collects the report from the pod log, and a gate passes and fails on it", func(ctx SpecContext) {
		ns := "tailgate-pass-" + fmt.Sprint(GinkgoRandomSeed())
		serveLog(ctx, ns, fakeJobLog("testdata/one-stage-92rps"))

		rep, err := runner(ns).Run(ctx, scenario())
		Expect(err).NotTo(HaveOccurred())
		expectGone(ctx, ns)

		Expect(rep.Source).To(ContainSubstring("pod log of job " + ns + "/inference-perf"))
		Expect(rep.Stages).To(HaveLen(1))
		Expect(rep.Summary.Successes).To(BeEquivalentTo(5531))

		By("a passing SLA verdict: P99 TTFT 0.182 s is below 250 ms")
		Expect(rep).To(matchers.HaveP99TTFTBelow(250 * time.Millisecond))

		By("a failing SLA verdict: P99 TTFT 0.182 s is not below 100 ms")
		m := matchers.HaveP99TTFTBelow(100 * time.Millisecond)
		ok, err := m.Match(rep)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(m.FailureMessage(rep)).To(ContainSubstring("181"))
	})

	It("collects a saturated run whole, and the gate refuses to pass it", func(ctx SpecContext) {
		ns := "tailgate-sat-" + fmt.Sprint(GinkgoRandomSeed())
		serveLog(ctx, ns, fakeJobLog("testdata/inference-perf-v0.2.0"))

		rep, err := runner(ns).Run(ctx, scenario())
		Expect(err).NotTo(HaveOccurred())
		expectGone(ctx, ns)
		Expect(rep.Stages).To(HaveLen(7))
		Expect(rep.Summary.Successes).To(BeEquivalentTo(38717))

		_, err = matchers.HaveP99TTFTBelow(10 * time.Second).Match(rep)
		Expect(err).To(MatchError(ContainSubstring("load not delivered")))
	})

	It("runs the native engine as a Job in the tailgate image through the same report path", func(ctx SpecContext) {
		ns := "tailgate-native-" + fmt.Sprint(GinkgoRandomSeed())
		serveLog(ctx, ns, fakeJobLog("testdata/one-stage-92rps"))
		r := runner(ns)
		r.Benchmark.Engine = cluster.EngineNative
		r.Benchmark.Image = "tailgate:test"
		r.Benchmark.ImagePullPolicy = corev1.PullNever
		r.Keep = true
		DeferCleanup(func(ctx SpecContext) { Expect(cluster.DeleteNamespace(ctx, res, ns)).To(Succeed()) })
		cfg := scenario()
		cfg.Server.APIKey = "sk-native"
		rep, err := r.Run(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Summary.Successes).To(BeEquivalentTo(5531))

		var job batchv1.Job
		Expect(res.Get(ctx, "inference-perf", ns, &job)).To(Succeed())
		c := job.Spec.Template.Spec.Containers[0]
		Expect(c.Image).To(Equal("tailgate:test"))
		Expect(c.Args[0]).To(ContainSubstring("tailgate run --config /tailgate/config.yml"))
		Expect(c.Env).To(ContainElement(HaveField("ValueFrom.SecretKeyRef.Key", "api-key")))
		var cm corev1.ConfigMap
		Expect(res.Get(ctx, "inference-perf-config", ns, &cm)).To(Succeed())
		Expect(cm.Data["config.yml"]).NotTo(ContainSubstring("sk-native"))
	})

	It("fails the run with the pod's last log lines when the Job fails (backoff exhausted)", func(ctx SpecContext) {
		ns := "tailgate-fail-" + fmt.Sprint(GinkgoRandomSeed())
		serveLog(ctx, ns, "INFO loading tokenizer Qwen/Qwen3-8B\nOSError: We couldn't connect to 'https://huggingface.co' to load this file\n")
		r := runner(ns)
		backoff := int32(1)
		r.Benchmark.BackoffLimit = &backoff
		r.Benchmark.PodLabels = map[string]string{kwokFailLabel: "true"}

		rep, err := r.Run(ctx, scenario())
		Expect(rep).To(BeNil())
		var runErr *cluster.RunError
		Expect(errors.As(err, &runErr)).To(BeTrue(), "%v", err)
		Expect(runErr.Reason).To(ContainSubstring("BackoffLimitExceeded"))
		Expect(runErr.Logs).To(ContainSubstring("OSError: We couldn't connect to 'https://huggingface.co'"))
		Expect(runErr.Logs).To(ContainSubstring("exited with code 1"))
		Expect(err.Error()).To(ContainSubstring("last lines of the benchmark pod's log"))
		expectGone(ctx, ns)
	})

	It("never puts the API key or the Hugging Face token into the failure's log lines", func(ctx SpecContext) {
		ns := "tailgate-failsecret-" + fmt.Sprint(GinkgoRandomSeed())
		const apiKey, hfToken = "sk-leaky-api-key-4711", "hf_leakyTokenValue0815"
		serveLog(ctx, ns, "INFO headers {'Authorization': 'Bearer "+apiKey+"'}\nINFO hub login with "+hfToken+"\nValueError: boom\n")
		r := runner(ns)
		backoff := int32(0)
		r.Benchmark.BackoffLimit = &backoff
		r.Benchmark.PodLabels = map[string]string{kwokFailLabel: "true"}
		cfg := scenario()
		cfg.Server.APIKey = apiKey
		cfg.Tokenizer.Token = hfToken

		_, err := r.Run(ctx, cfg)
		var runErr *cluster.RunError
		Expect(errors.As(err, &runErr)).To(BeTrue(), "%v", err)
		Expect(runErr.Logs).To(ContainSubstring("ValueError: boom"))
		Expect(runErr.Logs).To(ContainSubstring("Bearer <redacted>"))
		Expect(err.Error()).NotTo(ContainSubstring(apiKey))
		Expect(err.Error()).NotTo(ContainSubstring(hfToken))
		expectGone(ctx, ns)
	})

	It("cleans up when interrupted while waiting for the Job", func(ctx SpecContext) {
		ns := "tailgate-intr-" + fmt.Sprint(GinkgoRandomSeed())
		r := runner(ns)
		// No node carries this label, so the pod stays Pending and the wait goes on.
		r.Benchmark.NodeSelector = map[string]string{"tailgate.dev/no-such-node": "true"}

		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			defer GinkgoRecover()
			_, err := r.Run(runCtx, scenario())
			done <- err
		}()
		Eventually(ctx, func() error {
			return res.Get(ctx, "inference-perf", ns, &batchv1.Job{})
		}).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
		cancel()

		var err error
		Eventually(done).WithTimeout(time.Minute).Should(Receive(&err))
		Expect(err).To(MatchError(context.Canceled))
		Expect(err.Error()).To(ContainSubstring("interrupted"))
		expectGone(ctx, ns)
	})

	It("gives up at its timeout with the reason, and cleans up", func(ctx SpecContext) {
		ns := "tailgate-tmo-" + fmt.Sprint(GinkgoRandomSeed())
		r := runner(ns)
		r.Timeout = 3 * time.Second
		r.Benchmark.NodeSelector = map[string]string{"tailgate.dev/no-such-node": "true"}
		_, err := r.Run(ctx, scenario())
		var runErr *cluster.RunError
		Expect(errors.As(err, &runErr)).To(BeTrue(), "%v", err)
		Expect(runErr.Reason).To(Equal("did not finish within 3s"))
		Expect(runErr.Logs).To(ContainSubstring("pending, not scheduled: Unschedulable"), "a pod that never started has no log; the error says why: %#v", runErr)
		expectGone(ctx, ns)
	})

	It("keeps the namespace when asked, for debugging", func(ctx SpecContext) {
		ns := "tailgate-keep-" + fmt.Sprint(GinkgoRandomSeed())
		serveLog(ctx, ns, fakeJobLog("testdata/inference-perf-v0.2.0"))
		r := runner(ns)
		r.Keep = true
		_, err := r.Run(ctx, scenario())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(cluster.DeleteNamespace(ctx, res, ns)).To(Succeed()) })
		var cm corev1.ConfigMap
		Expect(res.Get(ctx, "inference-perf-config", ns, &cm)).To(Succeed())
		Expect(cm.Data["config.yml"]).To(ContainSubstring("/tailgate/reports"))
	})

	It("refuses an affinity that no target pod satisfies instead of leaving the pod Pending", func(ctx SpecContext) {
		ns := "tailgate-aff-" + fmt.Sprint(GinkgoRandomSeed())
		r := runner(ns)
		r.Benchmark.Affinity = &cluster.TargetAffinity{Namespace: "default", Labels: map[string]string{"app": "qwen3-vllm"}}
		_, err := r.Run(ctx, scenario())
		Expect(err).To(MatchError(ContainSubstring("no running pod in namespace default matches app=qwen3-vllm")))
		expectGone(ctx, ns)
	})

	It("deploys the simulated vLLM and schedules the benchmark pod next to it", func(ctx SpecContext) {
		simNS := "tailgate-sim-" + fmt.Sprint(GinkgoRandomSeed())
		sim, err := cluster.DeploySimulatedVLLM(ctx, c.Client, cluster.SimulatedVLLMInput{Namespace: simNS, Image: "tailgate:test"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) {
			Expect(sim.Delete(ctx)).To(Succeed())
			expectGone(ctx, simNS)
		})
		Expect(sim.URL).To(Equal("http://qwen3-vllm." + simNS + ":8000"))

		ns := "tailgate-near-" + fmt.Sprint(GinkgoRandomSeed())
		serveLog(ctx, ns, fakeJobLog("testdata/one-stage-92rps"))
		r := runner(ns)
		r.Benchmark.Affinity = sim.Affinity("kubernetes.io/hostname")
		r.Keep = true
		DeferCleanup(func(ctx SpecContext) { Expect(cluster.DeleteNamespace(ctx, res, ns)).To(Succeed()) })
		cfg := scenario()
		cfg.Server.BaseURL = sim.URL
		_, err = r.Run(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())

		By("the benchmark pod ran on the node of a simulated vLLM pod")
		var simPods, benchPods corev1.PodList
		Expect(res.WithNamespace(simNS).List(ctx, &simPods)).To(Succeed())
		Expect(res.WithNamespace(ns).List(ctx, &benchPods)).To(Succeed())
		Expect(benchPods.Items).To(HaveLen(1))
		var simNodes []string
		for _, p := range simPods.Items {
			simNodes = append(simNodes, p.Spec.NodeName)
		}
		Expect(simNodes).To(ContainElement(benchPods.Items[0].Spec.NodeName))
		Expect(benchPods.Items[0].Spec.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].Namespaces).To(Equal([]string{simNS}))
	})

	It("sets up a runner and the simulated vLLM from the environment, and tears down only what it made", func(ctx SpecContext) {
		simNS := "tailgate-envsim-" + fmt.Sprint(GinkgoRandomSeed())
		env, err := cluster.SetupJobRunner(ctx, cluster.EngineInferencePerf, settingsOf(map[string]string{
			cluster.EnvProvider: "kubeconfig", cluster.EnvKubeconfig: os.Getenv(EnvTestKubeconfig),
			cluster.EnvImage: "tailgate:test", cluster.EnvDeploySimulated: "true", cluster.EnvSimulatedNS: simNS,
			cluster.EnvHFToken: "hf_env_token", cluster.EnvJobTimeout: "2m",
		}), GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Expect(env.Cluster.Created()).To(BeFalse())
		Expect(env.Simulated.URL).To(Equal("http://qwen3-vllm." + simNS + ":8000"))

		ns := "tailgate-env-" + fmt.Sprint(GinkgoRandomSeed())
		serveLog(ctx, ns, fakeJobLog("testdata/one-stage-92rps"))
		env.Runner.Namespace = ns
		env.Runner.PollInterval = 500 * time.Millisecond
		cfg := scenario()
		cfg.Server.BaseURL = env.Simulated.URL
		rep, err := env.Runner.Run(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Summary.Successes).To(BeEquivalentTo(5531))
		expectGone(ctx, ns)

		Expect(env.Teardown(ctx)).To(Succeed())
		expectGone(ctx, simNS)
		var nodes corev1.NodeList
		Expect(res.List(ctx, &nodes)).To(Succeed(), "the cluster it did not create is still there")
	})

	It("names the missing setting before touching the cluster", func(ctx SpecContext) {
		_, err := cluster.SetupJobRunner(ctx, cluster.EngineNative, settingsOf(map[string]string{
			cluster.EnvKubeconfig: os.Getenv(EnvTestKubeconfig)}), nil)
		Expect(err).To(MatchError(ContainSubstring("TAILGATE_IMAGE is required")))
		_, err = cluster.SettingsFromEnv(envOf(map[string]string{
			cluster.EnvKubeconfig: os.Getenv(EnvTestKubeconfig), cluster.EnvJobTimeout: "soon"}))
		Expect(err).To(MatchError(ContainSubstring(`TAILGATE_JOB_TIMEOUT="soon"`)))
	})

	It("refuses the sweep on inference-perf v0.2.0 before creating anything", func(ctx SpecContext) {
		ns := "tailgate-sweep-" + fmt.Sprint(GinkgoRandomSeed())
		_, err := runner(ns).Run(ctx, withTarget(scenarios.Sweep()))
		Expect(err).To(MatchError(ContainSubstring("crashes at startup on a sweep")))
		expectGone(ctx, ns)
	})

	It("refuses a namespace it did not create, and leaves it alone", func(ctx SpecContext) {
		ns := "tailgate-taken-" + fmt.Sprint(GinkgoRandomSeed())
		Expect(res.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(cluster.DeleteNamespace(ctx, res, ns)).To(Succeed()) })
		_, err := runner(ns).Run(ctx, scenario())
		Expect(err).To(MatchError(ContainSubstring("already exists")))
		Expect(res.Get(ctx, ns, "", &corev1.Namespace{})).To(Succeed())
	})
	// Last in this Ordered container, after every run's own cleanup.
	It("left no namespace, Job, ConfigMap or Secret of any run behind", func(ctx SpecContext) {
		sel := resources.WithLabelSelector(cluster.RunLabel)
		var nss corev1.NamespaceList
		Expect(res.List(ctx, &nss, sel)).To(Succeed())
		Expect(nss.Items).To(BeEmpty())
		var jobs batchv1.JobList
		Expect(res.List(ctx, &jobs, sel)).To(Succeed())
		Expect(jobs.Items).To(BeEmpty())
		var cms corev1.ConfigMapList
		Expect(res.List(ctx, &cms, sel)).To(Succeed())
		Expect(cms.Items).To(BeEmpty())
		var secrets corev1.SecretList
		Expect(res.List(ctx, &secrets, sel)).To(Succeed())
		Expect(secrets.Items).To(BeEmpty())
	})
})

// testCluster connects to the control plane of TAILGATE_TEST_KUBECONFIG; without it
// the specs are skipped, except under CI=true, where they fail.
func testCluster(ctx context.Context) (*cluster.Cluster, *resources.Resources) {
	GinkgoHelper()
	path := os.Getenv(EnvTestKubeconfig)
	if path == "" {
		if os.Getenv("CI") == "true" {
			Fail(EnvTestKubeconfig + " is unset in CI: start the control plane with hack/controlplane/up.sh and export its output")
		}
		Skip(EnvTestKubeconfig + " is unset: run `export " + EnvTestKubeconfig + "=$(hack/controlplane/up.sh)` to run the cluster tests")
	}
	c, err := cluster.Setup(ctx, cluster.Options{Provider: cluster.Kubeconfig, Kubeconfig: path})
	Expect(err).NotTo(HaveOccurred())
	res, err := resources.New(c.RESTConfig())
	Expect(err).NotTo(HaveOccurred())
	return c, res
}

// expectNamespaceGone fails the spec when namespace ns still exists.
func expectNamespaceGone(ctx context.Context, res *resources.Resources, ns string) {
	GinkgoHelper()
	err := res.Get(ctx, ns, "", &corev1.Namespace{})
	Expect(apierrors.IsNotFound(err)).To(BeTrue(), "namespace %s still exists (err %v)", ns, err)
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// criLog formats text as a container log file in the CRI format kubelets (and kwok) read.
func criLog(text string) []byte {
	var b bytes.Buffer
	ts := time.Now().UTC()
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		ts = ts.Add(time.Microsecond)
		fmt.Fprintf(&b, "%s stdout F %s\n", ts.Format(time.RFC3339Nano), line)
	}
	return b.Bytes()
}

func withTarget(cfg scenarios.Config) scenarios.Config {
	if cfg.Server == nil {
		cfg.Server = &scenarios.ServerConfig{}
	}
	cfg.Server.BaseURL = "http://qwen3-vllm.default:8000"
	return cfg
}

var _ = report.ReadDir
