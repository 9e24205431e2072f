package cluster

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/e2e-framework/klient/decoder"
	"sigs.k8s.io/e2e-framework/klient/k8s"

	"github.com/tailgate-dev/tailgate/fixtures/manifests"
)

// Engine names what the benchmark Job runs.
type Engine string

const (
	// EngineInferencePerf runs kubernetes-sigs/inference-perf in its published image.
	EngineInferencePerf Engine = "inference-perf"
	// EngineNative runs tailgate's own load engine (`tailgate run`) in the tailgate image.
	EngineNative Engine = "native"
)

// DefaultInferencePerfImage is the inference-perf image the AI-on-EKS benchmark guide pins.
const DefaultInferencePerfImage = "quay.io/inference-perf/inference-perf:v0.2.0"

// RunLabel marks every object of one benchmark run (namespace included) with the run's id,
// so a run's leftovers can be found cluster-wide.
const RunLabel = "tailgate.dev/run"

// TargetAffinity asks the scheduler to place the benchmark pod in the same topology domain
// as the target's pods (same zone by default), so the network path is the one users get.
type TargetAffinity struct {
	// Namespace of the target's pods; required, since an affinity term without namespaces
	// only matches pods in the benchmark's own namespace and would never be satisfied.
	Namespace string
	// Labels the target's pods carry (all must match).
	Labels map[string]string
	// TopologyKey is the node label that defines "near"; default topology.kubernetes.io/zone.
	TopologyKey string
}

// BenchmarkInput is everything that varies between benchmark runs.
type BenchmarkInput struct {
	// Namespace is the run's own namespace, created with the run and deleted after it.
	Namespace string
	// RunID labels every object (RunLabel); default Namespace.
	RunID string
	// Config is the rendered config.yml. It must not hold secrets: pass them below.
	Config []byte
	// Engine picks inference-perf (default) or the native engine.
	Engine Engine
	// Image of the benchmark container; default DefaultInferencePerfImage for inference-perf.
	// Required for the native engine (the tailgate image).
	Image string
	// ImagePullPolicy of the benchmark container; default IfNotPresent.
	ImagePullPolicy corev1.PullPolicy
	// NativeBinary is the tailgate binary inside the image; default "tailgate".
	NativeBinary string
	// ServiceAccountName, created in Namespace; default "inference-perf".
	ServiceAccountName string
	// IRSARoleARN, when set, annotates the ServiceAccount with eks.amazonaws.com/role-arn
	// (S3 access from EKS).
	IRSARoleARN string
	// APIKey of the target server and HFToken for the tokenizer download; when set they go
	// into a Secret and reach the container as environment variables (HF_TOKEN;
	// TAILGATE_API_KEY for the native engine), never the ConfigMap.
	APIKey, HFToken string
	// SecretConfig is a YAML overlay of config.yml holding the secret values (api_key,
	// token, secret headers); it goes into the Secret and is merged into the config inside
	// the inference-perf container.
	SecretConfig []byte
	// Resources of the benchmark container; when empty, the AI-on-EKS chart's
	// (requests 2 CPU / 4Gi, limits 4 CPU / 8Gi; see DefaultBenchmarkResources).
	Resources corev1.ResourceRequirements
	// Arch is the node architecture the pod is placed on (kubernetes.io/arch);
	// default amd64, the architecture the images are built for; "any" for no selector.
	Arch string
	// BackoffLimit of the Job; default 0 (a failed benchmark is not retried into a pass).
	BackoffLimit *int32
	// TTLSecondsAfterFinished of the Job; default 3600.
	TTLSecondsAfterFinished *int32
	// ActiveDeadlineSeconds of the Job; none when nil (JobRunner sets its wait
	// timeout plus JobDeadlineMargin).
	ActiveDeadlineSeconds *int64
	// Affinity to the target's pods; nil for none.
	Affinity *TargetAffinity
	// PodLabels and PodAnnotations are added to the benchmark pod.
	PodLabels, PodAnnotations map[string]string
	// NodeSelector and Tolerations of the benchmark pod.
	NodeSelector map[string]string
	Tolerations  []corev1.Toleration
	// Shards, above 1, makes the Job an Indexed Job of Shards pods of the native engine,
	// each sending a disjoint share of the load (`tailgate run --shard I/N`); 0 or 1 is
	// one pod. The inference-perf engine cannot be sharded (see checkShards).
	Shards int
	// StartAt is the instant every shard starts its load (`--start-at`); required when
	// Shards is above 1.
	StartAt time.Time
}

// BenchmarkObjects are the Kubernetes objects of one benchmark run.
type BenchmarkObjects struct {
	Namespace      *corev1.Namespace
	ServiceAccount *corev1.ServiceAccount
	ConfigMap      *corev1.ConfigMap
	Secret         *corev1.Secret // nil when there is no secret to pass
	Job            *batchv1.Job
}

// Namespaced returns the namespaced objects in creation order (the Job last).
func (o *BenchmarkObjects) Namespaced() []k8s.Object {
	objs := []k8s.Object{o.ServiceAccount, o.ConfigMap}
	if o.Secret != nil {
		objs = append(objs, o.Secret)
	}
	return append(objs, o.Job)
}

// RenderBenchmark builds the objects of one benchmark run from the embedded manifest
// (fixtures/manifests) and in. Errors name the field at fault.
func RenderBenchmark(in BenchmarkInput) (*BenchmarkObjects, error) {
	in, err := withDefaults(in)
	if err != nil {
		return nil, err
	}
	out, err := decodeManifest()
	if err != nil {
		return nil, err
	}
	labelRun(out, in)
	out.ServiceAccount.Name = in.ServiceAccountName
	if in.IRSARoleARN != "" {
		out.ServiceAccount.Annotations = map[string]string{"eks.amazonaws.com/role-arn": in.IRSARoleARN}
	}
	out.ConfigMap.Data = map[string]string{"config.yml": string(in.Config)}
	configureJob(out, in)
	configureContainer(&out.Job.Spec.Template.Spec.Containers[0], in)
	addSecret(out, in)
	if in.Shards > 1 {
		shardJob(out.Job, in)
	}
	return out, nil
}

// withDefaults checks in and fills its defaults; errors name the field at fault.
func withDefaults(in BenchmarkInput) (BenchmarkInput, error) {
	if errs := validation.IsDNS1123Label(in.Namespace); len(errs) > 0 {
		return in, fmt.Errorf("benchmark: namespace %q: %s", in.Namespace, strings.Join(errs, "; "))
	}
	if len(bytes.TrimSpace(in.Config)) == 0 {
		return in, fmt.Errorf("benchmark: config is empty; render the scenario with scenarios.Render")
	}
	in.Engine = cmp.Or(in.Engine, EngineInferencePerf)
	if in.Engine != EngineInferencePerf && in.Engine != EngineNative {
		return in, fmt.Errorf("benchmark: engine %q: want %q or %q", in.Engine, EngineInferencePerf, EngineNative)
	}
	if in.Image == "" {
		if in.Engine != EngineInferencePerf {
			return in, fmt.Errorf("benchmark: image is required for the %s engine (the tailgate image, e.g. ghcr.io/tailgate-dev/tailgate:<version>)", in.Engine)
		}
		in.Image = DefaultInferencePerfImage
	}
	in.RunID = cmp.Or(in.RunID, in.Namespace)
	if errs := validation.IsValidLabelValue(in.RunID); len(errs) > 0 {
		return in, fmt.Errorf("benchmark: run id %q: %s", in.RunID, strings.Join(errs, "; "))
	}
	in.ServiceAccountName = cmp.Or(in.ServiceAccountName, "inference-perf")
	in.NativeBinary = cmp.Or(in.NativeBinary, "tailgate")
	if len(in.SecretConfig) > 0 && in.Engine != EngineInferencePerf {
		return in, fmt.Errorf("benchmark: secret config values (api.headers, tokens) are only supported for the inference-perf engine; pass the API key alone for the %s engine", in.Engine)
	}
	if a := in.Affinity; a != nil && (a.Namespace == "" || len(a.Labels) == 0) {
		return in, fmt.Errorf("benchmark: affinity needs the target's namespace and pod labels (an affinity term without them never matches the target)")
	}
	return in, checkShards(in)
}

// decodeManifest decodes the embedded manifest into its ServiceAccount, ConfigMap and Job.
func decodeManifest() (*BenchmarkObjects, error) {
	objs, err := decoder.DecodeAll(context.Background(), bytes.NewReader(manifests.Benchmark()))
	if err != nil {
		return nil, fmt.Errorf("benchmark: decode embedded manifest: %w", err)
	}
	out := &BenchmarkObjects{}
	for _, o := range objs {
		switch v := o.(type) {
		case *corev1.ServiceAccount:
			out.ServiceAccount = v
		case *corev1.ConfigMap:
			out.ConfigMap = v
		case *batchv1.Job:
			out.Job = v
		default:
			return nil, fmt.Errorf("benchmark: embedded manifest has an unexpected %T", o)
		}
	}
	if out.ServiceAccount == nil || out.ConfigMap == nil || out.Job == nil {
		return nil, fmt.Errorf("benchmark: embedded manifest lacks a ServiceAccount, ConfigMap or Job")
	}
	return out, nil
}

// labelRun creates the run's namespace and puts every object in it with the run's label.
func labelRun(out *BenchmarkObjects, in BenchmarkInput) {
	runLabels := map[string]string{RunLabel: in.RunID}
	out.Namespace = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: in.Namespace, Labels: maps.Clone(runLabels)}}
	for _, o := range []k8s.Object{out.ServiceAccount, out.ConfigMap, out.Job} {
		o.SetNamespace(in.Namespace)
		l := o.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		maps.Copy(l, runLabels)
		o.SetLabels(l)
	}
}

// configureJob sets the Job's limits and its pod's labels, placement and volumes.
func configureJob(out *BenchmarkObjects, in BenchmarkInput) {
	job := out.Job
	pod := &job.Spec.Template
	if in.BackoffLimit != nil {
		job.Spec.BackoffLimit = in.BackoffLimit
	}
	if in.TTLSecondsAfterFinished != nil {
		job.Spec.TTLSecondsAfterFinished = in.TTLSecondsAfterFinished
	}
	job.Spec.ActiveDeadlineSeconds = in.ActiveDeadlineSeconds
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	maps.Copy(pod.Labels, in.PodLabels)
	pod.Labels[RunLabel] = in.RunID
	if len(in.PodAnnotations) > 0 {
		pod.Annotations = maps.Clone(in.PodAnnotations)
	}
	pod.Spec.ServiceAccountName = in.ServiceAccountName
	pod.Spec.NodeSelector = nodeSelector(pod.Spec.NodeSelector, in.Arch, in.NodeSelector)
	pod.Spec.Tolerations = in.Tolerations
	pod.Spec.Volumes[0].ConfigMap.Name = out.ConfigMap.Name
	if in.Affinity != nil {
		pod.Spec.Affinity = &corev1.Affinity{PodAffinity: targetAffinity(in.Affinity)}
	}
}

// targetAffinity requires the benchmark pod in the topology domain of a target pod.
func targetAffinity(a *TargetAffinity) *corev1.PodAffinity {
	return &corev1.PodAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			LabelSelector: &metav1.LabelSelector{MatchLabels: maps.Clone(a.Labels)},
			Namespaces:    []string{a.Namespace},
			TopologyKey:   cmp.Or(a.TopologyKey, "topology.kubernetes.io/zone"),
		}},
	}
}

// configureContainer sets the benchmark container's image, resources and command.
func configureContainer(c *corev1.Container, in BenchmarkInput) {
	c.Image = in.Image
	if in.ImagePullPolicy != "" {
		c.ImagePullPolicy = in.ImagePullPolicy
	}
	if len(in.Resources.Requests)+len(in.Resources.Limits) > 0 {
		c.Resources = in.Resources
	}
	if in.Engine == EngineInferencePerf {
		c.Args = []string{benchmarkScript(inferencePerfRun(), true, containerPaths())}
		return
	}
	c.Args = []string{benchmarkScript(nativeRun(in.NativeBinary, in.shardArgs()), false, containerPaths())}
}

// addSecret puts the API key, the HF token and the secret config overlay into a
// Secret, mounted or passed as environment variables, when there is any.
func addSecret(out *BenchmarkObjects, in BenchmarkInput) {
	if in.APIKey == "" && in.HFToken == "" && len(in.SecretConfig) == 0 {
		return
	}
	pod := &out.Job.Spec.Template.Spec
	c := &pod.Containers[0]
	out.Secret = &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "benchmark-secrets", Namespace: in.Namespace,
			Labels: maps.Clone(out.ConfigMap.Labels)},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{},
	}
	if len(in.SecretConfig) > 0 {
		out.Secret.Data[secretConfigKey] = in.SecretConfig
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "secrets",
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
				SecretName: out.Secret.Name, Items: []corev1.KeyToPath{{Key: secretConfigKey, Path: secretConfigKey}}}}})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "secrets", MountPath: secretDir, ReadOnly: true})
	}
	if in.APIKey != "" {
		out.Secret.Data[secretAPIKey] = []byte(in.APIKey)
		if in.Engine == EngineNative {
			c.Env = append(c.Env, secretEnv(apiKeyEnv, out.Secret.Name, secretAPIKey))
		}
	}
	if in.HFToken != "" {
		out.Secret.Data[secretHFToken] = []byte(in.HFToken)
		c.Env = append(c.Env, secretEnv(hfTokenEnv, out.Secret.Name, secretHFToken))
	}
}

func secretEnv(name, secret, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}}}
}

// archLabel is the node label of the architecture.
const archLabel = "kubernetes.io/arch"

// nodeSelector merges the manifest's selector, the architecture ("any" drops it) and
// the user's selector, which wins.
func nodeSelector(manifest map[string]string, arch string, user map[string]string) map[string]string {
	out := maps.Clone(manifest)
	if out == nil {
		out = map[string]string{}
	}
	switch arch {
	case "":
	case "any":
		delete(out, archLabel)
	default:
		out[archLabel] = arch
	}
	maps.Copy(out, user)
	if len(out) == 0 {
		return nil
	}
	return out
}
