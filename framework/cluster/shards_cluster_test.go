package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// completionIndex is the label the Job controller puts on each pod of an Indexed Job.
const completionIndex = "batch.kubernetes.io/job-completion-index"

var _ = Describe("a sharded native-engine run on a real control plane (TAILGATE_SHARDS=3)", Ordered, Label("cluster"), func() {
	var (
		c         *cluster.Cluster
		res       *resources.Resources
		shardLogs []string // what each shard's pod prints: its report between the markers
		shardReqs []int64  // the requests each shard's report holds
		used      []string // the namespaces the specs ran in
	)

	BeforeAll(func(ctx SpecContext) {
		c, res = testCluster(ctx)

		By("measuring three shards of one run with the native engine against the simulated vLLM")
		dirs, reps := nativeReportDirs(ctx, 3, 10)
		for i, dir := range dirs {
			var log bytes.Buffer
			log.WriteString("tailgate: shard " + strconv.Itoa(i) + " of 3 running\n")
			Expect(cluster.WriteReportLog(&log, dir)).To(Succeed())
			shardLogs = append(shardLogs, log.String())
			shardReqs = append(shardReqs, reps[i].Summary.Requests)
			Expect(reps[i].Summary.Requests).To(BeNumerically(">", 0))
		}
	}, NodeTimeout(3*time.Minute))

	runner := func(ns string) *cluster.JobRunner {
		used = append(used, ns)
		return &cluster.JobRunner{
			Client: c.Client, Namespace: ns, PollInterval: 500 * time.Millisecond, Timeout: 2 * time.Minute,
			Progress: GinkgoWriter, ReportDir: GinkgoT().TempDir(), ShardStartDelay: time.Second,
			Benchmark: cluster.BenchmarkInput{Engine: cluster.EngineNative, Image: "tailgate:test",
				ImagePullPolicy: corev1.PullNever, Shards: 3},
		}
	}

	// serveShardLogs makes kwok serve, as each pod's container log, what that pod's
	// shard printed (text for the index in other, when given).
	serveShardLogs := func(ctx context.Context, pods []corev1.Pod, other map[int]string) {
		GinkgoHelper()
		for _, p := range pods {
			idx, err := strconv.Atoi(p.Labels[completionIndex])
			Expect(err).NotTo(HaveOccurred(), "pod %s has no completion index", p.Name)
			text, ok := other[idx]
			if !ok {
				text = shardLogs[idx]
			}
			file := filepath.Join(GinkgoT().TempDir(), "container.log")
			Expect(os.WriteFile(file, criLog(text), 0o644)).To(Succeed())
			cl := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
				"metadata": map[string]any{"name": "logs-" + p.Name},
				"spec": map[string]any{
					"selector": map[string]any{"matchNamespaces": []any{p.Namespace}, "matchNames": []any{p.Name}},
					"logs":     []any{map[string]any{"logsFile": file}},
				},
			}}
			Expect(res.Create(ctx, cl)).To(Succeed())
			DeferCleanup(func(ctx SpecContext) { Expect(res.Delete(ctx, cl)).To(Succeed()) })
		}
	}

	podsOf := func(ctx context.Context, ns string) []corev1.Pod {
		var pods corev1.PodList
		Expect(res.WithNamespace(ns).List(ctx, &pods, resources.WithLabelSelector(completionIndex))).To(Succeed())
		return pods.Items
	}

	expectGone := func(ctx context.Context, ns string) {
		GinkgoHelper()
		expectNamespaceGone(ctx, res, ns)
	}

	It("runs one Indexed Job of 3 pods, reads the three shard reports from their logs and merges them, step by step", func(ctx SpecContext) {
		ns := "tailgate-shards-" + fmt.Sprint(GinkgoRandomSeed())
		r := runner(ns)
		run, err := r.PrepareRun(withTarget(scenarios.Production()))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(r.CleanupRun(ctx, run)).To(Succeed()) })
		Expect(r.ProvisionRun(ctx, run)).To(Succeed())

		var job batchv1.Job
		Expect(res.Get(ctx, run.Job, ns, &job)).To(Succeed())
		Expect(job.Spec.CompletionMode).To(HaveValue(Equal(batchv1.IndexedCompletion)))
		Expect(job.Spec.Completions).To(HaveValue(BeEquivalentTo(3)))
		Expect(job.Spec.Parallelism).To(HaveValue(BeEquivalentTo(3)))
		Expect(job.Spec.Template.Spec.Containers[0].Args[0]).To(MatchRegexp(`--shard "\$JOB_COMPLETION_INDEX/3" --start-at \d{4}-\d\d-\d\dT`))

		By("kwok completes the three pods")
		Expect(r.WaitForJob(ctx, run)).To(Succeed())
		pods := podsOf(ctx, ns)
		Expect(pods).To(HaveLen(3))
		indices, nodes := map[string]bool{}, map[string]bool{}
		for _, p := range pods {
			Expect(p.Status.Phase).To(Equal(corev1.PodSucceeded))
			indices[p.Labels[completionIndex]], nodes[p.Spec.NodeName] = true, true
		}
		Expect(indices).To(HaveLen(3), "one pod per shard index")
		Expect(len(nodes)).To(BeNumerically(">=", 2), "the preferred anti-affinity spreads the shards over the two kwok nodes")

		By("the collector reads each shard's report from its own pod's log and merges them")
		serveShardLogs(ctx, pods, nil)
		rep, err := r.CollectReport(ctx, run)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Partial).To(BeFalse(), rep.PartialReason)
		Expect(rep.Summary.Requests).To(Equal(shardReqs[0] + shardReqs[1] + shardReqs[2]))
		for i := range 3 {
			Expect(filepath.Join(r.ReportDir, "shard-"+strconv.Itoa(i), report.SummaryFile)).To(BeAnExistingFile())
		}
		Expect(rep.Summary.Distributions[report.TTFT].Percentile(99.9)).Error().NotTo(HaveOccurred(), "a merge of histograms answers any percentile")

		Expect(r.CleanupRun(ctx, run)).To(Succeed())
		expectGone(ctx, ns)
	})

	It("fails the gate naming the shard whose pod failed, still merges the others as a partial report, and cleans up", func(ctx SpecContext) {
		ns := "tailgate-shardfail-" + fmt.Sprint(GinkgoRandomSeed())
		r := runner(ns)
		// The pods wait for a node label no node has, so the test can make shard 1's
		// pod fail (kwok's failure stage) and serve each pod's log before any runs.
		hold := "tailgate.test/" + ns
		r.Benchmark.NodeSelector = map[string]string{hold: "true"}
		cfg := withTarget(scenarios.Production())
		type result struct {
			rep *report.Report
			err error
		}
		done := make(chan result, 1)
		go func() {
			defer GinkgoRecover()
			rep, err := r.Run(ctx, cfg)
			done <- result{rep, err}
		}()
		var pods []corev1.Pod
		Eventually(ctx, func() []corev1.Pod { pods = podsOf(ctx, ns); return pods }).
			WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(HaveLen(3))
		for _, p := range pods {
			if p.Labels[completionIndex] == "1" {
				Expect(patchLabel(ctx, res, &p, kwokFailLabel, "true")).To(Succeed())
			}
		}
		serveShardLogs(ctx, pods, map[int]string{1: "tailgate: shard 1 of 3 running\nError: dial tcp 10.0.0.7:8000: connect: connection refused\n"})
		releaseOneNode(ctx, res, hold)

		var got result
		Eventually(done).WithTimeout(2 * time.Minute).Should(Receive(&got))
		var runErr *cluster.RunError
		Expect(errors.As(got.err, &runErr)).To(BeTrue(), "%v", got.err)
		Expect(runErr.Shards).To(Equal([]int{1}))
		Expect(runErr.Reason).To(ContainSubstring("shard 1 of 3 failed"))
		Expect(runErr.Logs).To(ContainSubstring("connection refused"), "the failed shard's own log")
		expectGone(ctx, ns)

		By("the shards that completed are merged and marked partial, and the gate does not pass on them")
		Expect(got.rep).NotTo(BeNil())
		Expect(got.rep.Partial).To(BeTrue())
		Expect(got.rep.PartialReason).To(ContainSubstring("shard 1 of 3 did not complete"))
		Expect(got.rep.Summary.Requests).To(Equal(shardReqs[0] + shardReqs[2]))
		sla, err := matchers.ParseSLA([]byte("latency:\n  ttft:\n    p99: 10s\n"), "shards-sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		verdicts := framework.Judge(sla, got.rep, cfg)
		Expect(framework.Outcome(verdicts)).NotTo(Equal(report.Pass))
		Expect(verdicts).To(ContainElement(HaveField("Message", ContainSubstring("shard 1 of 3"))))
	})

	It("left no namespace, Job, pod or log object of a sharded run behind", func(ctx SpecContext) {
		for _, ns := range used {
			expectGone(ctx, ns)
		}
		var logs unstructured.UnstructuredList
		logs.SetAPIVersion("kwok.x-k8s.io/v1alpha1")
		logs.SetKind("ClusterLogsList")
		Expect(res.List(ctx, &logs)).To(Succeed())
		for _, l := range logs.Items {
			served, _, _ := unstructured.NestedStringSlice(l.Object, "spec", "selector", "matchNamespaces")
			Expect(served).NotTo(ContainElement(BeElementOf(used)), "ClusterLogs %s", l.GetName())
		}
	})
})

// patchLabel adds one label to obj with a merge patch.
func patchLabel(ctx context.Context, res *resources.Resources, obj k8s.Object, key, value string) error {
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, key, value)
	return res.Patch(ctx, obj, k8s.Patch{PatchType: types.MergePatchType, Data: []byte(patch)})
}

// releaseOneNode labels one Ready node with key=true, so pods held by that node
// selector are scheduled there, and removes the label when the spec ends.
func releaseOneNode(ctx context.Context, res *resources.Resources, key string) {
	GinkgoHelper()
	var nodes corev1.NodeList
	Expect(res.List(ctx, &nodes)).To(Succeed())
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if !nodeReady(*n) {
			continue
		}
		Expect(patchLabel(ctx, res, n, key, "true")).To(Succeed())
		DeferCleanup(func(ctx SpecContext) {
			patch := fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, key)
			Expect(res.Patch(ctx, n, k8s.Patch{PatchType: types.MergePatchType, Data: []byte(patch)})).To(Succeed())
		})
		return
	}
	Fail("no Ready node to schedule the held pods on")
}
