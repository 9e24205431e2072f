package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/k8s"
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
	// yet, unless UseExistingNamespace); otherwise NamespacePrefix plus a random suffix.
	Namespace string
	// UseExistingNamespace runs in Namespace, which must exist: a namespace an
	// administrator gave a locked-down account, with a Role there. The run creates and
	// deletes only its own objects in it, never the namespace.
	UseExistingNamespace bool
	// NamespacePrefix of generated namespace names; default "tailgate-bench-".
	NamespacePrefix string
	// Keep leaves the namespace and its objects in place after the run, for debugging.
	Keep bool
	// Timeout bounds the wait for the Job; default the scenario's planned duration
	// times two plus 15 minutes (and at least 15 minutes). Unless
	// Benchmark.ActiveDeadlineSeconds is set, the Job's own deadline is this plus
	// JobDeadlineMargin, so a Job whose tailgate died still ends.
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
	// ShardStartDelay is how long after rendering a sharded run's pods start their load
	// together (Benchmark.Shards above 1, unless Benchmark.StartAt is set); default
	// DefaultShardStartDelay.
	ShardStartDelay time.Duration
}

// RunError is the error of a benchmark run that started: it carries the pod's last log
// lines so a failed gate shows why (attach Logs to the test report).
type RunError struct {
	Namespace, Job string
	Reason         string
	Shards         []int  // the indices of a sharded run's shards that did not complete
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
// (S3 when the scenario stores there, else or when S3 has none the pod log), parses them
// with report.ReadDir and removes what it created (unless Keep), also when ctx is
// cancelled. Every list and watch is scoped to the run's namespace and labels. Each step
// can be called on its own: PrepareRun, ProvisionRun, WaitForJob, CollectReport, CleanupRun.
//
// A sharded run (Benchmark.Shards above 1) whose shards did not all complete returns
// a *RunError naming them and, when the completed shards' reports merge, their merge
// marked partial.
func (r *JobRunner) Run(ctx context.Context, cfg scenarios.Config) (rep *report.Report, err error) {
	run, err := r.PrepareRun(cfg)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, r.CleanupRun(ctx, run)) }()
	if err := r.ProvisionRun(ctx, run); err != nil {
		return nil, err
	}
	if err := r.WaitForJob(ctx, run); err != nil {
		var re *RunError
		if errors.As(err, &re) && len(re.Shards) > 0 && len(re.Shards) < run.shards() {
			var cerr error
			if rep, cerr = r.CollectReport(ctx, run); cerr != nil {
				r.progress("the completed shards give no report: %v", cerr)
			}
		}
		return rep, err
	}
	return r.CollectReport(ctx, run)
}

// JobRun is one benchmark run of a JobRunner: its names and objects and, once
// provisioned, what it created. PrepareRun makes one.
type JobRun struct {
	// Namespace, Job and RunID name the run; RunID labels its objects (RunLabel).
	Namespace, Job, RunID string
	// Objects are what ProvisionRun creates; a caller may adjust them before that,
	// keeping their names and labels, which the later steps look them up by.
	Objects *BenchmarkObjects

	ref     jobRef
	prep    preparedRun
	cfg     scenarios.Config
	kube    *kube
	created []k8s.Object
}

// shards is the number of pods the run's Job runs to completion.
func (run *JobRun) shards() int { return max(1, run.ref.shards) }

// PrepareRun names a run of cfg and renders its objects; it creates nothing.
func (r *JobRunner) PrepareRun(cfg scenarios.Config) (*JobRun, error) {
	if r.Client == nil {
		return nil, errors.New("cluster: JobRunner.Client is nil; use Setup(...).Client")
	}
	ref, err := r.runRef()
	if err != nil {
		return nil, err
	}
	objs, prep, err := r.render(cfg, ref)
	if err != nil {
		return nil, err
	}
	ref.name, ref.shards = objs.Job.Name, r.Benchmark.Shards
	k, err := newKube(r.Client)
	if err != nil {
		return nil, err
	}
	return &JobRun{Namespace: ref.ns, Job: ref.name, RunID: ref.runID, Objects: objs,
		ref: ref, prep: prep, cfg: cfg, kube: k}, nil
}

// ProvisionRun checks the run's affinity target and creates its namespace (unless it
// exists by design) and objects. What it created, even on error, is CleanupRun's to remove.
func (r *JobRunner) ProvisionRun(ctx context.Context, run *JobRun) error {
	if a := r.Benchmark.Affinity; a != nil {
		if err := checkAffinityTarget(ctx, run.kube.clients, a); err != nil {
			return err
		}
	}
	if run.prep.apiKey != "" && r.Benchmark.Engine != EngineNative {
		where := "the pod log"
		if run.prep.s3 != nil {
			where += " and, as config.yaml, the S3 bucket"
		}
		r.progress("warning: inference-perf takes the API key only in its config, which it logs at INFO; the key will be in %s (tailgate redacts it from what it collects); use a key made for benchmarks", where)
	}
	created, err := r.provision(ctx, run.kube, run.ref, run.Objects)
	run.created = append(run.created, created...)
	return err
}

// WaitForJob waits until the run's Job is Complete or Failed; a failure, timeout or
// interrupt is a *RunError carrying the pod's last log lines (secrets redacted), and
// for a sharded run the failed shards.
func (r *JobRunner) WaitForJob(ctx context.Context, run *JobRun) error {
	return r.redact(run, r.waitJob(ctx, run.kube, run.ref, run.prep))
}

// CollectReport collects the run's report files, parses them and checks every planned
// stage is there; a sharded run's reports are merged.
func (r *JobRunner) CollectReport(ctx context.Context, run *JobRun) (*report.Report, error) {
	rep, err := r.collectReport(ctx, run)
	return rep, r.redact(run, err)
}

// CleanupRun removes what ProvisionRun created (unless Keep), also when ctx was cancelled.
func (r *JobRunner) CleanupRun(ctx context.Context, run *JobRun) error {
	if len(run.created) == 0 {
		return nil
	}
	err := r.cleanup(ctx, run.kube, run.ref, run.created)
	if err == nil {
		run.created = nil
	}
	return err
}

// redact removes the run's secrets from the log lines of a *RunError: the pod's log goes
// into the error (and from there into JUnit) whatever the benchmark printed.
func (r *JobRunner) redact(run *JobRun, err error) error {
	var re *RunError
	if errors.As(err, &re) {
		re.Logs = redactSecrets(re.Logs, r.secrets(run.prep)...)
	}
	return err
}

// runRef names the run: its namespace and the id its objects are labelled with.
func (r *JobRunner) runRef() (jobRef, error) {
	ref := jobRef{ns: r.Namespace}
	switch {
	case r.UseExistingNamespace && ref.ns == "":
		return ref, errors.New("cluster: UseExistingNamespace needs Namespace (TAILGATE_BENCHMARK_NAMESPACE)")
	case r.UseExistingNamespace:
		ref.runID = "run-" + randomSuffix()
		ref.existing = true
	case ref.ns == "":
		ref.ns = cmp.Or(r.NamespacePrefix, "tailgate-bench-") + randomSuffix()
		ref.runID = ref.ns
	default:
		ref.runID = ref.ns
	}
	return ref, nil
}

// provision creates the run's namespace (unless it exists by design) and its objects,
// and returns what it created, in order, for cleanup to remove and nothing else.
func (r *JobRunner) provision(ctx context.Context, k *kube, ref jobRef, objs *BenchmarkObjects) ([]k8s.Object, error) {
	var created []k8s.Object
	if !ref.existing {
		if err := k.res.Create(ctx, objs.Namespace); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return nil, fmt.Errorf("cluster: namespace %s already exists; a run uses a namespace of its own and never one it did not create (set UseExistingNamespace, TAILGATE_BENCHMARK_NAMESPACE_EXISTS=true, to run in a namespace given to you)", ref.ns)
			}
			return nil, fmt.Errorf("cluster: create namespace %s: %w", ref.ns, err)
		}
		created = append(created, objs.Namespace)
		r.progress("created namespace %s", ref.ns)
	}
	for _, o := range objs.Namespaced() {
		if err := k.res.Create(ctx, o); err != nil {
			return created, fmt.Errorf("cluster: create %T %s/%s: %w", o, ref.ns, o.GetName(), err)
		}
		created = append(created, o)
	}
	r.progress("created job %s/%s (image %s%s)", ref.ns, ref.name, objs.Job.Spec.Template.Spec.Containers[0].Image, shardNote(objs.Job))
	return created, nil
}

// cleanup removes what provision created (the namespace, which takes everything in it
// along, or else each object), even when ctx was cancelled (interrupt, timeout).
func (r *JobRunner) cleanup(ctx context.Context, k *kube, ref jobRef, created []k8s.Object) error {
	if r.Keep {
		r.progress("keeping namespace %s (Keep)", ref.ns)
		return nil
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if _, ok := created[0].(*corev1.Namespace); ok {
		if err := DeleteNamespace(cctx, k.res, ref.ns); err != nil {
			return err
		}
		r.progress("deleted namespace %s", ref.ns)
		return nil
	}
	if err := deleteObjects(cctx, k.res, created); err != nil {
		return err
	}
	r.progress("deleted the run's objects in %s", ref.ns)
	return nil
}

// JobDeadlineMargin is how much longer a Job may run (activeDeadlineSeconds) than
// tailgate waits for it: tailgate's timeout, with the pod's logs, comes first, and
// a Job left running by a tailgate that died still ends.
const JobDeadlineMargin = 5 * time.Minute

// waitTimeout bounds the wait for the run's Job: Timeout, or twice the planned
// duration plus 15 minutes (at least 15 minutes).
func (r *JobRunner) waitTimeout(prep preparedRun) time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return max(2*prep.plannedDuration+15*time.Minute, 15*time.Minute)
}

// waitJob waits until the Job is Complete or Failed; a failure, timeout or interrupt is
// a *RunError carrying the pod's last log lines.
func (r *JobRunner) waitJob(ctx context.Context, k *kube, ref jobRef, prep preparedRun) error {
	timeout := r.waitTimeout(prep)
	poll := cmp.Or(r.PollInterval, 2*time.Second)
	var outcome JobOutcome
	werr := wait.For(jobFinished(k, ref, &outcome), wait.WithContext(ctx), wait.WithTimeout(timeout),
		wait.WithInterval(poll), wait.WithImmediate())
	if werr != nil {
		tail, _ := r.podLogTail(context.WithoutCancel(ctx), k.clients, ref)
		reason := "did not finish within " + timeout.String()
		if ctx.Err() != nil {
			reason = "interrupted before the job finished"
			werr = errors.Join(werr, ctx.Err())
		} else if apierrors.IsForbidden(errors.Unwrap(werr)) || apierrors.IsForbidden(werr) {
			reason = "cannot watch the job (the kubeconfig's account lacks get on jobs or list on pods in " + ref.ns + ")"
		}
		return &RunError{Namespace: ref.ns, Job: ref.name, Reason: reason, Logs: tail, Err: werr}
	}
	if outcome.Failed && ref.shards > 1 {
		return r.shardsFailed(ctx, k, ref, outcome)
	}
	if outcome.Failed {
		tail, _ := r.podLogTail(ctx, k.clients, ref)
		r.progress("job %s/%s failed: %s", ref.ns, ref.name, outcome.Reason)
		return &RunError{Namespace: ref.ns, Job: ref.name, Reason: "failed: " + outcome.Reason, Logs: tail}
	}
	r.progress("job %s/%s complete", ref.ns, ref.name)
	return nil
}

// collectReport collects the report files, parses them and checks every planned stage is there.
func (r *JobRunner) collectReport(ctx context.Context, run *JobRun) (*report.Report, error) {
	dir, done, err := r.reportDir()
	if err != nil {
		return nil, err
	}
	defer done()
	var rep *report.Report
	if run.ref.shards > 1 {
		rep, err = r.collectShards(ctx, run, dir)
	} else {
		rep, err = r.readReport(ctx, run, run.ref, dir)
	}
	if err != nil {
		return nil, err
	}
	markMissingStages(rep, run.cfg)
	return rep, nil
}

// reportDir is where the collected files go: ReportDir, or a temporary directory that
// done removes.
func (r *JobRunner) reportDir() (dir string, done func(), err error) {
	if r.ReportDir == "" {
		tmp, err := os.MkdirTemp("", "tailgate-report-")
		if err != nil {
			return "", nil, fmt.Errorf("cluster: %w", err)
		}
		return tmp, func() { os.RemoveAll(tmp) }, nil
	}
	if err := os.MkdirAll(r.ReportDir, 0o755); err != nil {
		return "", nil, fmt.Errorf("cluster: report dir: %w", err)
	}
	return r.ReportDir, func() {}, nil
}

// readReport collects the report files of ref's pod into dir, scrubs secrets from them
// and parses them.
func (r *JobRunner) readReport(ctx context.Context, run *JobRun, ref jobRef, dir string) (*report.Report, error) {
	source, err := r.collectFiles(ctx, run.kube, ref, run.prep, dir)
	if err != nil {
		return nil, err
	}
	if err := scrubSecrets(dir, r.secrets(run.prep)...); err != nil {
		return nil, err
	}
	rep, err := report.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cluster: report of job %s/%s: %w", ref.ns, ref.name, err)
	}
	rep.Source = source
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
	markPartial(rep, fmt.Sprintf("the report has no file for stage %s of the %d the scenario planned",
		strings.Join(missing, ", "), len(cfg.Load.Stages)))
}

// markPartial marks rep partial, adding reason to any reason it has.
func markPartial(rep *report.Report, reason string) {
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
	objs, _, err := r.render(cfg, jobRef{ns: ns, runID: ns})
	return objs, err
}

func (r *JobRunner) render(cfg scenarios.Config, ref jobRef) (*BenchmarkObjects, preparedRun, error) {
	if err := checkShardedScenario(cfg, r.Benchmark.Shards); err != nil {
		return nil, preparedRun{}, err
	}
	prep, err := prepareScenario(cfg, ref.runID)
	if err != nil {
		return nil, prep, err
	}
	in := r.Benchmark
	in.Namespace, in.RunID, in.Config = ref.ns, ref.runID, prep.config
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
	if in.Shards > 1 && in.StartAt.IsZero() {
		in.StartAt = time.Now().Add(cmp.Or(r.ShardStartDelay, DefaultShardStartDelay)).Truncate(time.Second).Add(time.Second)
	}
	if in.ActiveDeadlineSeconds == nil {
		deadline := r.waitTimeout(prep) + JobDeadlineMargin
		if in.Shards > 1 {
			deadline += time.Until(in.StartAt)
		}
		seconds := int64(deadline.Seconds())
		in.ActiveDeadlineSeconds = &seconds
	}
	in.APIKey = cmp.Or(in.APIKey, prep.apiKey)
	in.HFToken = cmp.Or(in.HFToken, prep.hfToken)
	objs, err := RenderBenchmark(in)
	return objs, prep, err
}

// secrets lists every secret value of the run, for redaction.
func (r *JobRunner) secrets(prep preparedRun) []string {
	return append([]string{r.Benchmark.APIKey, r.Benchmark.HFToken}, prep.secretValues...)
}

// redactSecrets replaces every non-empty secret in text with <redacted>, and
// the password of any URL in it (Python prints URL('http://user:pw@host/…')
// in its HTTP errors).
func redactSecrets(text string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "<redacted>")
		}
	}
	return scenarios.RedactText(text)
}

func (r *JobRunner) progress(format string, args ...any) {
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, "tailgate: "+format+"\n", args...)
	}
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
func checkAffinityTarget(ctx context.Context, clients kubernetes.Interface, a *TargetAffinity) error {
	sel := metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: a.Labels})
	pods, err := clients.CoreV1().Pods(a.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
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
