package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authv1 "k8s.io/api/authentication/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("the Job path under a locked-down account, S3 fallback and secrets, on the control plane", Ordered, Label("cluster"), func() {
	var (
		admin   *rest.Config
		client  klient.Client
		res     *resources.Resources
		clients *kubernetes.Clientset
		seed    = fmt.Sprint(GinkgoRandomSeed())
	)

	BeforeAll(func() {
		path := os.Getenv(EnvTestKubeconfig)
		if path == "" {
			if os.Getenv("CI") == "true" {
				Fail(EnvTestKubeconfig + " is unset in CI")
			}
			Skip(EnvTestKubeconfig + " is unset")
		}
		c, err := cluster.Setup(context.Background(), cluster.Options{Provider: cluster.Kubeconfig, Kubeconfig: path})
		Expect(err).NotTo(HaveOccurred())
		admin, client = c.RESTConfig(), c.Client
		res, err = resources.New(admin)
		Expect(err).NotTo(HaveOccurred())
		clients, err = kubernetes.NewForConfig(admin)
		Expect(err).NotTo(HaveOccurred())
	})

	// create makes objects as the administrator and deletes them after the spec.
	create := func(ctx context.Context, objs ...k8s.Object) {
		GinkgoHelper()
		for _, o := range objs {
			Expect(res.Create(ctx, o)).To(Succeed(), "%T %s", o, o.GetName())
		}
		DeferCleanup(func(ctx SpecContext) {
			for i := len(objs) - 1; i >= 0; i-- {
				if ns, ok := objs[i].(*corev1.Namespace); ok {
					Expect(cluster.DeleteNamespace(ctx, res, ns.Name)).To(Succeed())
					continue
				}
				err := res.Delete(ctx, objs[i], resources.WithDeletePropagation(string(metav1.DeletePropagationForeground)))
				if err != nil && !apierrors.IsNotFound(err) {
					Expect(err).NotTo(HaveOccurred())
				}
			}
		})
	}

	serveLog := func(ctx context.Context, ns, log string) {
		GinkgoHelper()
		file := filepath.Join(GinkgoT().TempDir(), "container.log")
		Expect(os.WriteFile(file, criLog(log), 0o644)).To(Succeed())
		create(ctx, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
			"metadata": map[string]any{"name": "logs-" + ns},
			"spec": map[string]any{
				"selector": map[string]any{"matchNamespaces": []any{ns}},
				"logs":     []any{map[string]any{"logsFile": file}},
			},
		}})
	}

	runner := func(client klient.Client, ns string) *cluster.JobRunner {
		return &cluster.JobRunner{Client: client, Namespace: ns, PollInterval: 500 * time.Millisecond,
			Timeout: 2 * time.Minute, Progress: GinkgoWriter}
	}

	// lockedDown returns a client whose account may do what a run needs in ns and, beyond
	// it, only create and delete namespaces: the rights a locked-down CI account has.
	lockedDown := func(ctx context.Context, ns string) klient.Client {
		GinkgoHelper()
		name := "tailgate-ci-" + seed
		rw := []string{"create", "get", "list", "watch", "delete"}
		create(ctx,
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "tailgate-ci", Namespace: ns}},
			&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "tailgate-run", Namespace: ns}, Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: rw},
				{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets", "serviceaccounts"}, Verbs: rw},
				{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get", "list", "watch"}},
			}},
			&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "tailgate-run", Namespace: ns},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "tailgate-run"},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "tailgate-ci", Namespace: ns}}},
			&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"create", "delete"}},
			}},
			&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "tailgate-ci", Namespace: ns}}},
		)
		exp := int64(900)
		tok, err := clients.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "tailgate-ci",
			&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		rc := rest.AnonymousClientConfig(admin)
		rc.BearerToken = tok.Status.Token
		c, err := klient.New(rc)
		Expect(err).NotTo(HaveOccurred())
		return c
	}

	// unrelatedFailures puts, in another namespace, a failed Job named inference-perf and a
	// pod carrying that Job's name label stuck on an image pull: what a cluster-wide list
	// of job-name=inference-perf would mistake for the run's own.
	unrelatedFailures := func(ctx context.Context, other string) {
		GinkgoHelper()
		backoff := int32(0)
		job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "inference-perf", Namespace: other},
			Spec: batchv1.JobSpec{BackoffLimit: &backoff, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{kwokFailLabel: "true"}},
				Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
					Containers: []corev1.Container{{Name: "benchmark", Image: "quay.io/inference-perf/inference-perf:v0.2.0"}}}}}}
		stuck := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "inference-perf-stuck", Namespace: other,
			Labels: map[string]string{"batch.kubernetes.io/job-name": "inference-perf"}},
			Spec: corev1.PodSpec{NodeSelector: map[string]string{"tailgate.dev/no-such-node": "true"},
				Containers: []corev1.Container{{Name: "benchmark", Image: "example.invalid/nope:1"}}}}
		create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: other}}, job, stuck)
		Eventually(ctx, func() error { // the scheduler updates the pod's status too
			p, err := clients.CoreV1().Pods(other).Get(ctx, stuck.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "benchmark", Image: "example.invalid/nope:1",
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "not found"}}}}
			_, err = clients.CoreV1().Pods(other).UpdateStatus(ctx, p, metav1.UpdateOptions{})
			return err
		}).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
		Eventually(ctx, func(g Gomega) {
			var j batchv1.Job
			g.Expect(res.Get(ctx, "inference-perf", other, &j)).To(Succeed())
			g.Expect(j.Status.Failed).To(BeNumerically(">", 0))
		}).WithTimeout(time.Minute).WithPolling(500 * time.Millisecond).Should(Succeed())
	}

	It("runs the Job path with rights only in the run's namespace, untouched by another Job named inference-perf", func(ctx SpecContext) {
		ns, other := "tailgate-rbac-"+seed, "tailgate-other-"+seed
		restricted := lockedDown(ctx, ns)
		unrelatedFailures(ctx, other)
		serveLog(ctx, ns, fakeJobLog("testdata/one-stage-92rps"))

		By("the account cannot list pods beyond its namespace")
		rc, err := kubernetes.NewForConfig(restricted.RESTConfig())
		Expect(err).NotTo(HaveOccurred())
		_, err = rc.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)

		r := runner(restricted, ns)
		r.UseExistingNamespace = true
		rep, err := r.Run(ctx, withTarget(scenarios.Production()))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Summary.Successes).To(BeEquivalentTo(5531))
		Expect(rep.Source).To(ContainSubstring("pod log of job " + ns + "/inference-perf"))

		By("the run removed its own objects and left the namespace it was given")
		Expect(res.Get(ctx, ns, "", &corev1.Namespace{})).To(Succeed())
		var jobs batchv1.JobList
		Expect(res.WithNamespace(ns).List(ctx, &jobs)).To(Succeed())
		Expect(jobs.Items).To(BeEmpty())
		var cms corev1.ConfigMapList
		Expect(res.WithNamespace(ns).List(ctx, &cms, resources.WithLabelSelector(cluster.RunLabel))).To(Succeed())
		Expect(cms.Items).To(BeEmpty())
	})

	// s3Bucket starts an S3-compatible server on loopback with an empty bucket.
	s3Bucket := func() (string, cluster.S3Options) {
		GinkgoHelper()
		srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
		DeferCleanup(srv.Close)
		creds := credentials.NewStaticCredentialsProvider("test-key", "test-secret", "")
		client := s3.New(s3.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", UsePathStyle: true, Credentials: creds})
		_, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("inference-perf-results")})
		Expect(err).NotTo(HaveOccurred())
		return srv.URL, cluster.S3Options{Region: "us-east-1", Credentials: creds}
	}
	s3Scenario := func(endpoint string) scenarios.Config {
		cfg := withTarget(scenarios.Production())
		cfg.Storage = &scenarios.StorageConfig{LocalStorage: &scenarios.LocalStorageConfig{Path: "reports"},
			SimpleStorageService: &scenarios.S3StorageConfig{BucketName: "inference-perf-results", Path: "production-sim",
				EndpointURL: aws.String(endpoint), AddressingStyle: aws.String("path")}}
		return cfg
	}

	It("reads the pod log when the Job's S3 path is empty", func(ctx SpecContext) {
		endpoint, opts := s3Bucket()
		ns := "tailgate-s3log-" + seed
		serveLog(ctx, ns, fakeJobLog("testdata/one-stage-92rps"))
		r := runner(client, ns)
		r.S3 = opts
		r.Benchmark.Image = image030 // v0.2.0 cannot write to an S3-compatible endpoint
		rep, err := r.Run(ctx, s3Scenario(endpoint))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Summary.Successes).To(BeEquivalentTo(5531))
		Expect(rep.Source).To(ContainSubstring("pod log of job " + ns + "/inference-perf"))
		Expect(rep.Source).To(ContainSubstring("S3 had none: s3: no report files under s3://inference-perf-results/production-sim/" + ns + "/"))
	})

	It("says the Job wrote nothing when neither S3 nor the pod log has the report", func(ctx SpecContext) {
		endpoint, opts := s3Bucket()
		ns := "tailgate-s3none-" + seed
		serveLog(ctx, ns, "INFO Stage 0 - run completed\nERROR Failed to upload summary_lifecycle_metrics.json: botocore.exceptions.NoCredentialsError: Unable to locate credentials\n")
		r := runner(client, ns)
		r.S3 = opts
		r.Benchmark.Image = image030
		r.Benchmark.ServiceAccountName = "bench-writer"
		_, err := r.Run(ctx, s3Scenario(endpoint))
		var runErr *cluster.RunError
		Expect(errors.As(err, &runErr)).To(BeTrue(), "%v", err)
		Expect(runErr.Reason).To(ContainSubstring("the Job wrote nothing to s3://inference-perf-results/production-sim/" + ns + "/"))
		Expect(runErr.Reason).To(ContainSubstring("ServiceAccount " + ns + "/bench-writer, no IRSA role"))
		Expect(runErr.Reason).To(ContainSubstring("NoCredentialsError: Unable to locate credentials"))
	})

	It("never lets the API key or the Hugging Face token into the ConfigMap or a collected file", func(ctx SpecContext) {
		const apiKey, hfToken = "sk-collected-key-9321", "hf_collectedToken7788"
		ns := "tailgate-secret-" + seed
		// A benchmark that printed its config, secrets included, among its report files.
		leaky := fakeJobLog("testdata/one-stage-92rps") +
			"=== TAILGATE_FILE_BEGIN config.json ===\n" +
			`{"server": {"api_key": "` + apiKey + `"}, "tokenizer": {"token": "` + hfToken + `"}}` +
			"\n=== TAILGATE_FILE_END config.json ===\n"
		serveLog(ctx, ns, leaky)
		r := runner(client, ns)
		r.ReportDir = GinkgoT().TempDir()
		r.Keep = true
		DeferCleanup(func(ctx SpecContext) { Expect(cluster.DeleteNamespace(ctx, res, ns)).To(Succeed()) })
		cfg := withTarget(scenarios.Production())
		cfg.Server.APIKey = apiKey
		cfg.Tokenizer.Token = hfToken
		_, err := r.Run(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())

		files, err := os.ReadDir(r.ReportDir)
		Expect(err).NotTo(HaveOccurred())
		Expect(files).To(ContainElement(HaveField("Name()", "config.json")))
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(r.ReportDir, f.Name()))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(data)).NotTo(ContainSubstring(apiKey), f.Name())
			Expect(string(data)).NotTo(ContainSubstring(hfToken), f.Name())
		}
		var cm corev1.ConfigMap
		Expect(res.Get(ctx, "inference-perf-config", ns, &cm)).To(Succeed())
		Expect(cm.Data["config.yml"]).NotTo(Or(ContainSubstring(apiKey), ContainSubstring(hfToken)))
		var sec corev1.Secret
		Expect(res.Get(ctx, "benchmark-secrets", ns, &sec)).To(Succeed())
		Expect(string(sec.Data["secrets.yml"])).NotTo(ContainSubstring(hfToken),
			"the token reaches the container only as HF_TOKEN, so inference-perf cannot log it or upload it in config.yaml")
		Expect(sec.Data["hf-token"]).To(Equal([]byte(hfToken)))
	})
})
