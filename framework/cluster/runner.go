package cluster

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// JobRunner runs a scenario as a benchmark Job in its own namespace and returns the parsed
// report. It satisfies framework.Runner. The zero value is not usable: set Client.
type JobRunner struct {
	// Client reaches the cluster (Cluster.Client).
	Client klient.Client
	// Benchmark is the template of every run's objects: engine, image, resources, backoff,
	// affinity, service account, IRSA role, HF token... Namespace, Config and RunID are
	// filled per run; the API key defaults to the scenario's server.api_key.
	Benchmark BenchmarkInput
	// Namespace, when set, is the exact name of the run's namespace (it must not exist
	// yet); otherwise NamespacePrefix plus a random suffix.
	Namespace string
	// NamespacePrefix of generated namespace names; default "tailgate-bench-".
	NamespacePrefix string
	// Keep leaves the namespace and its objects in place after the run, for debugging.
	Keep bool
	// Timeout bounds the wait for the Job; default the scenario's planned duration
	// times two plus 15 minutes (and at least 15 minutes).
	Timeout time.Duration
	// PollInterval of the Job wait; default 2s.
	PollInterval time.Duration
	// LogLines is how many of the pod's last log lines a failure carries; default 50.
	LogLines int
	// ReportDir, when set, keeps the collected report files there; otherwise they go to a
	// temporary directory that is removed.
	ReportDir string
	// S3 configures the S3 collector, used when the scenario stores its reports in S3.
	S3 S3Options
	// Progress receives one line per step (namespace, Job, outcome); nil for none.
	Progress io.Writer
}

// RunError is the error of a benchmark run that started: it carries the pod's last log
// lines so a failed gate shows why (attach Logs to the test report).
type RunError struct {
	Namespace, Job string
	Reason         string
	Logs           string // the pod's last log lines, possibly empty
	Err            error  // underlying cause, if any
}

// Error says which Job failed and why, followed by the pod's last log lines.
func (e *RunError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "benchmark job %s/%s: %s", e.Namespace, e.Job, e.Reason)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Logs != "" {
		fmt.Fprintf(&b, "\n--- last lines of the benchmark pod's log ---\n%s", e.Logs)
	}
	return b.String()
}

// Unwrap returns the underlying cause (context.Canceled for an interrupted run).
func (e *RunError) Unwrap() error { return e.Err }

// Run renders cfg, provisions the run's namespace, ServiceAccount, ConfigMap, optional
// Secret and Job, waits until the Job is Complete or Failed, collects the report files
// (pod log, or S3 when the scenario stores there), parses them with report.ReadDir and
// removes the namespace (unless Keep), also when ctx is cancelled.
func (r *JobRunner) Run(ctx context.Context, cfg scenarios.Config) (rep *report.Report, err error) {
	if r.Client == nil {
		return nil, errors.New("cluster: JobRunner.Client is nil; use Setup(...).Client")
	}
	ns := r.Namespace
	if ns == "" {
		prefix := r.NamespacePrefix
		if prefix == "" {
			prefix = "tailgate-bench-"
		}
		ns = prefix + randomSuffix()
	}
	objs, prep, err := r.render(cfg, ns)
	if err != nil {
		return nil, err
	}
	// The pod's log goes into the error (and from there into JUnit); never let it carry
	// the API key or the Hugging Face token, whatever the benchmark printed.
	defer func() {
		var re *RunError
		if errors.As(err, &re) {
			re.Logs = redactSecrets(re.Logs, prep.apiKey, prep.hfToken, r.Benchmark.APIKey, r.Benchmark.HFToken)
		}
	}()
	res, err := resources.New(r.Client.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if a := r.Benchmark.Affinity; a != nil {
		if err := checkAffinityTarget(ctx, res, a); err != nil {
			return nil, err
		}
	}

	if err := res.Create(ctx, objs.Namespace); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("cluster: namespace %s already exists; a run uses a namespace of its own and never one it did not create", ns)
		}
		return nil, fmt.Errorf("cluster: create namespace %s: %w", ns, err)
	}
	r.progress("created namespace %s", ns)
	defer func() {
		if r.Keep {
			r.progress("keeping namespace %s (Keep)", ns)
			return
		}
		// Clean up even when ctx was cancelled (interrupt, timeout).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if cerr := DeleteNamespace(cctx, res, ns); cerr != nil {
			err = errors.Join(err, cerr)
		} else {
			r.progress("deleted namespace %s", ns)
		}
	}()

	for _, o := range objs.Namespaced() {
		if err := res.Create(ctx, o); err != nil {
			return nil, fmt.Errorf("cluster: create %T %s/%s: %w", o, ns, o.GetName(), err)
		}
	}
	job := objs.Job
	r.progress("created job %s/%s (image %s)", ns, job.Name, job.Spec.Template.Spec.Containers[0].Image)

	var outcome JobOutcome
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = max(2*prep.plannedDuration+15*time.Minute, 15*time.Minute)
	}
	poll := r.PollInterval
	if poll <= 0 {
		poll = 2 * time.Second
	}
	werr := wait.For(jobFinished(res, job, &outcome), wait.WithContext(ctx), wait.WithTimeout(timeout),
		wait.WithInterval(poll), wait.WithImmediate())
	clients, cerr := kubernetes.NewForConfig(r.Client.RESTConfig())
	if cerr != nil {
		return nil, fmt.Errorf("cluster: %w", cerr)
	}
	lines := r.LogLines
	if lines <= 0 {
		lines = 50
	}
	if werr != nil {
		tail, _ := r.podLogTail(context.WithoutCancel(ctx), clients, ns, job.Name, lines)
		reason := "did not finish within " + timeout.String()
		if ctx.Err() != nil {
			reason = "interrupted before the job finished"
			werr = errors.Join(werr, ctx.Err())
		}
		return nil, &RunError{Namespace: ns, Job: job.Name, Reason: reason, Logs: tail, Err: werr}
	}
	if outcome.Failed {
		tail, _ := r.podLogTail(ctx, clients, ns, job.Name, lines)
		r.progress("job %s/%s failed: %s", ns, job.Name, outcome.Reason)
		return nil, &RunError{Namespace: ns, Job: job.Name, Reason: "failed: " + outcome.Reason, Logs: tail}
	}
	r.progress("job %s/%s complete", ns, job.Name)

	dir := r.ReportDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "tailgate-report-")
		if err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cluster: report dir: %w", err)
	}

	var source string
	if prep.s3 != nil {
		n, err := DownloadS3Reports(ctx, r.S3, *prep.s3, dir)
		if err != nil {
			tail, _ := r.podLogTail(ctx, clients, ns, job.Name, lines)
			return nil, &RunError{Namespace: ns, Job: job.Name, Reason: "collect the report from S3", Logs: tail, Err: err}
		}
		source = fmt.Sprintf("s3://%s/%s (%d files, job %s/%s)", prep.s3.Bucket, prep.s3.Prefix, n, ns, job.Name)
	} else {
		names, tail, err := r.collectFromLog(ctx, clients, ns, job.Name, dir, lines)
		if err != nil {
			return nil, &RunError{Namespace: ns, Job: job.Name, Reason: "collect the report from the pod log", Logs: tail, Err: err}
		}
		if len(names) == 0 {
			return nil, &RunError{Namespace: ns, Job: job.Name, Reason: "the pod log holds no report files", Logs: tail}
		}
		source = fmt.Sprintf("pod log of job %s/%s (%s)", ns, job.Name, strings.Join(names, ", "))
	}
	rep, err = report.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cluster: report of job %s/%s: %w", ns, job.Name, err)
	}
	rep.Source = source
	markMissingStages(rep, cfg)
	return rep, nil
}

// markMissingStages marks rep partial when it lacks the file of a stage the
// scenario planned (the benchmark stopped early, or the log lost a block), so
// the stages that did run are not judged as the whole scenario. A sweep's
// stage count is only known once it runs, so a sweep is not checked.
func markMissingStages(rep *report.Report, cfg scenarios.Config) {
	if cfg.Load.Sweep != nil {
		return
	}
	have := map[int]bool{}
	for _, st := range rep.Stages {
		have[st.ID] = true
	}
	var missing []string
	for i := range cfg.Load.Stages {
		if !have[i] {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) == 0 {
		return
	}
	reason := fmt.Sprintf("the report has no file for stage %s of the %d the scenario planned",
		strings.Join(missing, ", "), len(cfg.Load.Stages))
	rep.Partial = true
	if rep.PartialReason == "" {
		rep.PartialReason = reason
	} else {
		rep.PartialReason += "; " + reason
	}
}

// Render returns the objects Run would create for cfg in namespace ns, without creating
// anything (for inspection or a server-side dry-run).
func (r *JobRunner) Render(cfg scenarios.Config, ns string) (*BenchmarkObjects, error) {
	objs, _, err := r.render(cfg, ns)
	return objs, err
}

func (r *JobRunner) render(cfg scenarios.Config, ns string) (*BenchmarkObjects, preparedRun, error) {
	prep, err := prepareScenario(cfg, ns)
	if err != nil {
		return nil, prep, err
	}
	in := r.Benchmark
	in.Namespace, in.RunID, in.Config = ns, ns, prep.config
	if in.Engine == EngineNative {
		// The native engine reads the API key and HF token from the environment.
		if len(prep.otherSecrets) > 0 {
			return nil, prep, fmt.Errorf("cluster: the native engine cannot take %s from a Secret; remove it or use the inference-perf engine", strings.Join(prep.otherSecrets, ", "))
		}
	} else {
		in.SecretConfig = prep.secretConfig
		if in.Config, err = adaptConfig(in.Config, cmp.Or(in.Image, DefaultInferencePerfImage)); err != nil {
			return nil, prep, err
		}
	}
	if in.APIKey == "" {
		in.APIKey = prep.apiKey
	}
	if in.HFToken == "" {
		in.HFToken = prep.hfToken
	}
	objs, err := RenderBenchmark(in)
	return objs, prep, err
}

// redactSecrets replaces every non-empty secret in text with <redacted>.
func redactSecrets(text string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "<redacted>")
		}
	}
	return text
}

func (r *JobRunner) progress(format string, args ...any) {
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, "tailgate: "+format+"\n", args...)
	}
}

// latestPod returns the job's most recently created pod.
func latestPod(ctx context.Context, clients kubernetes.Interface, ns, job string) (*corev1.Pod, error) {
	pods, err := clients.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-name=" + job})
	if err != nil {
		return nil, fmt.Errorf("list pods of job %s/%s: %w", ns, job, err)
	}
	if len(pods.Items) == 0 {
		return nil, fmt.Errorf("job %s/%s has no pod", ns, job)
	}
	sort.Slice(pods.Items, func(i, j int) bool {
		return pods.Items[i].CreationTimestamp.Before(&pods.Items[j].CreationTimestamp)
	})
	return &pods.Items[len(pods.Items)-1], nil
}

func (r *JobRunner) openLog(ctx context.Context, clients kubernetes.Interface, ns, job string) (io.ReadCloser, *corev1.Pod, error) {
	pod, err := latestPod(ctx, clients, ns, job)
	if err != nil {
		return nil, nil, err
	}
	rc, err := clients.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{Container: benchContainer}).Stream(ctx)
	if err != nil {
		return nil, pod, fmt.Errorf("log of pod %s/%s: %w", ns, pod.Name, err)
	}
	return rc, pod, nil
}

// podLogTail returns the last n lines of the job's latest pod's log, followed by the
// container's termination state; on error it says why the log is unavailable.
func (r *JobRunner) podLogTail(ctx context.Context, clients kubernetes.Interface, ns, job string, n int) (string, error) {
	rc, pod, err := r.openLog(ctx, clients, ns, job)
	if err != nil {
		return "(log unavailable: " + err.Error() + ")" + terminationNote(pod), err
	}
	defer rc.Close()
	t := &tailLines{n: n}
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		t.add(sc.Text())
	}
	return t.String() + terminationNote(pod), sc.Err()
}

// terminationNote says how the pod's benchmark container ended, or why it has not run:
// unschedulable, waiting for its image, and so on.
func terminationNote(pod *corev1.Pod) string {
	if pod == nil {
		return ""
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			return fmt.Sprintf("\n(pod %s: container %s exited with code %d, reason %s %s)", pod.Name, cs.Name, t.ExitCode, t.Reason, t.Message)
		}
		if w := cs.State.Waiting; w != nil {
			return fmt.Sprintf("\n(pod %s: container %s waiting: %s %s)", pod.Name, cs.Name, w.Reason, w.Message)
		}
	}
	if pod.Status.Phase == corev1.PodPending {
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				return fmt.Sprintf("\n(pod %s: pending, not scheduled: %s: %s)", pod.Name, c.Reason, c.Message)
			}
		}
		return fmt.Sprintf("\n(pod %s: pending)", pod.Name)
	}
	return ""
}

// collectFromLog extracts the report files from the job's latest pod's log into dir.
func (r *JobRunner) collectFromLog(ctx context.Context, clients kubernetes.Interface, ns, job, dir string, n int) ([]string, string, error) {
	rc, pod, err := r.openLog(ctx, clients, ns, job)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	t := &tailLines{n: n}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
		for sc.Scan() {
			t.add(sc.Text())
			if _, err := pw.Write(append(sc.Bytes(), '\n')); err != nil {
				return
			}
		}
		pw.CloseWithError(sc.Err())
	}()
	names, err := ExtractReportFiles(pr, dir)
	pr.Close() // extraction stopped early: unblock the copier's write...
	rc.Close() // ...and its read
	<-done
	return names, t.String() + terminationNote(pod), err
}

// DeleteNamespace deletes a namespace and waits until it is gone, so a run leaves nothing
// behind (its Job, pods, ConfigMap and Secret go with it).
func DeleteNamespace(ctx context.Context, res *resources.Resources, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	err := res.Delete(ctx, ns, resources.WithDeletePropagation(string(metav1.DeletePropagationForeground)))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cluster: delete namespace %s: %w", name, err)
	}
	err = wait.For(conditions.New(res).ResourceDeleted(ns), wait.WithContext(ctx),
		wait.WithInterval(time.Second), wait.WithTimeout(2*time.Minute), wait.WithImmediate())
	if err != nil {
		return fmt.Errorf("cluster: namespace %s still present after delete: %w", name, err)
	}
	return nil
}

// checkAffinityTarget refuses an affinity that no running pod satisfies, instead of leaving
// the benchmark pod Pending until the timeout.
func checkAffinityTarget(ctx context.Context, res *resources.Resources, a *TargetAffinity) error {
	var pods corev1.PodList
	sel := metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: a.Labels})
	if err := res.WithNamespace(a.Namespace).List(ctx, &pods, resources.WithLabelSelector(sel)); err != nil {
		return fmt.Errorf("cluster: affinity: list target pods %s in %s: %w", sel, a.Namespace, err)
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			return nil
		}
	}
	return fmt.Errorf("cluster: affinity: no running pod in namespace %s matches %s, so the benchmark pod could never be scheduled; fix Benchmark.Affinity (namespace and labels of the target's pods) or unset it", a.Namespace, sel)
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
