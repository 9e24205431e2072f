package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/e2e-framework/klient/conf"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/cluster"
)

// The Job runner from the command line, against the real control plane of
// hack/controlplane/up.sh (kube-apiserver, etcd, kwok nodes): kwok serves a
// real inference-perf report (one stage at 92.19 req/s) as the benchmark
// pod's log, as a real inference-perf pod would print it.
var _ = Describe("tailgate run --runner inference-perf-job on a real control plane", Ordered, Label("cluster"), func() {
	const fixture = "../../framework/cluster/testdata/one-stage-92rps"
	var (
		kubeconfig, servelog string
		res                  *resources.Resources
	)

	BeforeAll(func() {
		kubeconfig = os.Getenv("TAILGATE_TEST_KUBECONFIG")
		if kubeconfig == "" {
			if os.Getenv("CI") == "true" {
				Fail("TAILGATE_TEST_KUBECONFIG is unset in CI: start the control plane with hack/controlplane/up.sh and export its output")
			}
			Skip("TAILGATE_TEST_KUBECONFIG is unset: run `export TAILGATE_TEST_KUBECONFIG=$(hack/controlplane/up.sh)` to run the cluster tests")
		}
		rc, err := conf.New(kubeconfig)
		Expect(err).NotTo(HaveOccurred())
		res, err = resources.New(rc)
		Expect(err).NotTo(HaveOccurred())
		servelog, err = gexec.Build("github.com/tailgate-dev/tailgate/hack/controlplane/servelog")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.Remove, servelog)
	})

	// serveReport makes kwok serve the fixture report as the log of every pod
	// in ns, with the control plane's own servelog command.
	serveReport := func(ctx context.Context, ns string) {
		GinkgoHelper()
		out, err := exec.CommandContext(ctx, servelog, "-kubeconfig", kubeconfig, "-namespace", ns, "-report-dir", fixture).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "servelog:\n%s", out)
		DeferCleanup(func(ctx SpecContext) {
			out, err := exec.CommandContext(ctx, servelog, "-kubeconfig", kubeconfig, "-namespace", ns, "-delete").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "servelog -delete:\n%s", out)
		})
	}

	run := func(ctx context.Context, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(ctx, append([]string{"run"}, args...), stdio{in: strings.NewReader(""), out: &out, err: &errb})
		GinkgoWriter.Printf("stdout:\n%s\nstderr:\n%s\n", out.String(), errb.String())
		return code, out.String(), errb.String()
	}

	jobArgs := func(ns, sla, dir string) []string {
		return []string{"--scenario", "production", "--runner", "inference-perf-job", "--cluster", "kubeconfig",
			"--kubeconfig", kubeconfig, "--benchmark-namespace", ns, "--target", "http://qwen3-vllm.default:8000",
			"--rate", "92.19", "--duration", "60s", "--sla", sla, "--report-dir", dir, "--progress", "0"}
	}

	It("runs the scenario as a Job, collects and judges its report, saves the evidence and removes the run's namespace", func(ctx SpecContext) {
		ns := "tailgate-cli-pass-" + fmt.Sprint(GinkgoRandomSeed())
		serveReport(ctx, ns)
		// The flag wins over the variable: a Job in this namespace would get no report.
		GinkgoT().Setenv(cluster.EnvBenchmarkNS, "tailgate-cli-elsewhere")
		dir := filepath.Join(GinkgoT().TempDir(), "report")
		code, out, errs := run(ctx, jobArgs(ns, "../../hack/controlplane/gate/v020-sla.yaml", dir)...)
		Expect(code).To(Equal(framework.ExitPass), "stdout:\n%s\nstderr:\n%s", out, errs)
		Expect(errs).To(ContainSubstring("created job " + ns + "/"))
		Expect(out).To(ContainSubstring("TTFT p99 < 1.2s"))
		Expect(out).To(ContainSubstring("PASS"))
		for _, f := range []string{"junit.xml", "summary.md", "verdict.json", "summary_lifecycle_metrics.json"} {
			Expect(filepath.Join(dir, f)).To(BeAnExistingFile())
		}
		xsd, err := exec.Command("xmllint", "--noout", "--schema", "testdata/junit-10.xsd", filepath.Join(dir, "junit.xml")).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "junit.xml does not validate:\n%s", xsd)
		Eventually(ctx, func() bool {
			return apierrors.IsNotFound(res.Get(ctx, ns, "", &corev1.Namespace{}))
		}).WithTimeout(2*time.Minute).WithPolling(time.Second).Should(BeTrue(), "the run's namespace is deleted")
	}, SpecTimeout(5*time.Minute))

	It("fails a report that breaks the SLA, as the suite does, with the kubeconfig file given as the cluster", func(ctx SpecContext) {
		ns := "tailgate-cli-fail-" + fmt.Sprint(GinkgoRandomSeed())
		serveReport(ctx, ns)
		args := jobArgs(ns, "../../hack/controlplane/gate/strict-sla.yaml", filepath.Join(GinkgoT().TempDir(), "report"))
		for i := range args {
			if args[i] == "--cluster" {
				args[i+1] = kubeconfig
			}
		}
		code, out, _ := run(ctx, args...)
		Expect(code).To(Equal(framework.ExitFail))
		Expect(out).To(ContainSubstring("FAIL"))
	}, SpecTimeout(5*time.Minute))

	It("refuses a bad cluster setting before touching the cluster, naming the flag and the fix", func(ctx SpecContext) {
		code, _, errs := run(ctx, "--scenario", "production", "--runner", "inference-perf-job", "--cluster", "/nonexistent/kubeconfig")
		Expect(code).To(Equal(framework.ExitUsage))
		Expect(errs).To(ContainSubstring(`runner inference-perf-job: --cluster="/nonexistent/kubeconfig": want kubeconfig, kind, kwok or the path of a kubeconfig file`))

		GinkgoT().Setenv(cluster.EnvJobTimeout, "soon")
		code, _, errs = run(ctx, "--scenario", "production", "--runner", "native-job")
		Expect(code).To(Equal(framework.ExitUsage))
		Expect(errs).To(ContainSubstring(`runner native-job: TAILGATE_JOB_TIMEOUT="soon": want a positive duration such as 45m`))
		code, _, errs = run(ctx, "--scenario", "production", "--runner", "native-job", "--job-timeout", "10m")
		Expect(code).To(Equal(framework.ExitUsage))
		Expect(errs).To(ContainSubstring("runner native-job: TAILGATE_IMAGE is required for the native-engine Job"))
	})
})

var _ = Describe("tailgate run -h", func() {
	It("lists the runners and the cluster flags, and no flag for a secret", func(ctx SpecContext) {
		var out, errb bytes.Buffer
		Expect(dispatch(ctx, []string{"run", "-h"}, stdio{in: strings.NewReader(""), out: &out, err: &errb})).To(Equal(0))
		help := errb.String()
		Expect(help).To(ContainSubstring("native (tailgate's load engine in this process), inference-perf-job (inference-perf's image as a Kubernetes Job), native-job (tailgate's load engine as a Kubernetes Job) (env TAILGATE_RUNNER)"))
		for _, st := range cluster.SettingList() {
			if st.Secret {
				Expect(help).NotTo(ContainSubstring("  -"+st.Flag+" "), st.Env)
				continue
			}
			Expect(help).To(ContainSubstring("  -"+st.Flag+" string\n"), st.Env)
			Expect(help).To(ContainSubstring("(env "+st.Env+")"), st.Env)
		}
		Expect(help).NotTo(Or(ContainSubstring("-api-key"), ContainSubstring("-hf-token"), ContainSubstring("-prometheus-token")))
	})
})
