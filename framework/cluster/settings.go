package cluster

import (
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/tailgate-dev/tailgate/framework"
)

// Settings are the Job runners' settings: the cluster and the benchmark Job. Each
// is a -tailgate.* flag in a suite, a --flag of `tailgate run` and a TAILGATE_*
// variable (SettingList); a flag given wins over its variable.
type Settings struct {
	// Cluster chooses and configures the cluster the Job runs in.
	Cluster Options
	// Image is the tailgate image: the native-engine Job's and the simulated vLLM's.
	Image string
	// InferencePerfImage is inference-perf's image; empty means DefaultInferencePerfImage.
	InferencePerfImage string
	// LoadImage loads Image into a kind cluster's nodes before the run.
	LoadImage bool
	// DeploySimulated deploys the simulated vLLM in the cluster as the target, in
	// SimulatedNamespace (default "default").
	DeploySimulated    bool
	SimulatedNamespace string
	// HFToken is the Hugging Face token for the tokenizer download; never printed.
	HFToken string
	// IRSARoleARN is the IAM role of the benchmark's ServiceAccount.
	IRSARoleARN string
	// KeepObjects keeps each run's namespace and objects, for debugging.
	KeepObjects bool
	// JobTimeout bounds the wait for the Job; 0 sizes it from the scenario's planned duration.
	JobTimeout time.Duration
	// Namespace is the run's exact namespace (it must not exist, unless
	// NamespaceExists); empty means a random one.
	Namespace       string
	NamespaceExists bool
	// NodeSelector and PodLabels go on the benchmark pod.
	NodeSelector, PodLabels map[string]string
	// Resources of the benchmark container: the chart's, with single values overridden.
	Resources corev1.ResourceRequirements
	// Arch is the benchmark pod's kubernetes.io/arch; empty means amd64, "any" none.
	Arch string
	// ServiceAccount is the benchmark's ServiceAccount name; empty means inference-perf.
	ServiceAccount string
	// Shards is the number of generator pods of a native-engine run (1 or more); above 1
	// the run is one Indexed Job whose pods' reports are merged.
	Shards int
	// ShardStartDelay is how long after rendering a sharded run's pods start their
	// load together; 0 means DefaultShardStartDelay.
	ShardStartDelay time.Duration
}

// SettingList lists the Job runners' settings, as framework.Registry binds them.
func SettingList() []framework.Setting {
	return []framework.Setting{
		{Flag: "cluster", Env: EnvProvider, Usage: "where the Job runs: kubeconfig (an existing cluster, default), kind, kwok, or the path of a kubeconfig file"},
		{Flag: "kubeconfig", Env: EnvKubeconfig, Usage: "kubeconfig file of the kubeconfig provider (default $KUBECONFIG, then ~/.kube/config)"},
		{Flag: "kube-context", Env: EnvContext, Usage: "context in the kubeconfig (default its current context)"},
		{Flag: "cluster-name", Env: EnvName, Usage: "name of the kind or kwok cluster (default tailgate)"},
		{Flag: "cluster-reuse", Env: EnvReuse, Usage: "true: use an existing kind or kwok cluster of that name (never deleted)"},
		{Flag: "keep-cluster", Env: EnvKeep, Usage: "true: leave a cluster created here running"},
		{Flag: "kind-node-image", Env: EnvKindImage, Usage: "kind's node image, e.g. kindest/node:v1.35.0"},
		{Flag: "cluster-config", Env: EnvConfigFile, Usage: "kind or kwokctl configuration file"},
		{Flag: "kind-binary", Env: EnvKindBinary, Usage: "kind binary (default kind on PATH; never installed)"},
		{Flag: "kwokctl-binary", Env: EnvKwokctl, Usage: "kwokctl binary (default kwokctl on PATH; never installed)"},
		{Flag: "docker-binary", Env: EnvDocker, Usage: "docker CLI that saves an image for kind (default docker on PATH)"},
		{Flag: "image", Env: EnvImage, Usage: "tailgate image: the native-job runner's and the simulated vLLM's"},
		{Flag: "inference-perf-image", Env: EnvInferencePerfImage, Usage: "inference-perf image (default " + DefaultInferencePerfImage + ")"},
		{Flag: "benchmark-image", Env: EnvBenchmarkImage, Usage: "older name of the inference-perf image setting"},
		{Flag: "load-image", Env: EnvLoadImage, Usage: "true: load the tailgate image into the kind cluster"},
		{Flag: "deploy-simulated-vllm", Env: EnvDeploySimulated, Usage: "true: deploy the simulated vLLM in the cluster as the target"},
		{Flag: "simulated-namespace", Env: EnvSimulatedNS, Usage: "namespace of the simulated vLLM (default default)"},
		{Flag: "hf-token", Env: EnvHFToken, Usage: "Hugging Face token for the tokenizer download", Secret: true},
		{Flag: "irsa-role-arn", Env: EnvIRSARole, Usage: "IAM role of the benchmark's ServiceAccount (IRSA)"},
		{Flag: "keep-objects", Env: EnvKeepObjects, Usage: "true: keep each run's namespace for debugging"},
		{Flag: "job-timeout", Env: EnvJobTimeout, Usage: "bound of the wait for the Job, e.g. 45m (default twice the scenario's planned duration plus 15m)"},
		{Flag: "benchmark-node-selector", Env: EnvBenchmarkNodeSel, Usage: "k=v[,k=v] node selector of the benchmark pod"},
		{Flag: "benchmark-namespace", Env: EnvBenchmarkNS, Usage: "exact namespace of the run (must not exist); default random"},
		{Flag: "benchmark-namespace-exists", Env: EnvBenchmarkNSExists, Usage: "true: run in the benchmark namespace as given, never create or delete it"},
		{Flag: "benchmark-pod-labels", Env: EnvBenchmarkLabels, Usage: "k=v[,k=v] labels added to the benchmark pod"},
		{Flag: "benchmark-resources", Env: EnvBenchmarkResources, Usage: "e.g. requests.cpu=4,limits.memory=16Gi over the chart's resources"},
		{Flag: "benchmark-arch", Env: EnvBenchmarkArch, Usage: "kubernetes.io/arch of the benchmark pod (default amd64, any for none)"},
		{Flag: "benchmark-service-account", Env: EnvServiceAccount, Usage: "ServiceAccount of the benchmark (default inference-perf)"},
		{Flag: "shards", Env: EnvShards, Usage: "generator pods of a native-job run, one Indexed Job whose reports merge (default 1)"},
		{Flag: "shard-start-delay", Env: EnvShardStartDelay, Usage: "how long after rendering the shards start their load together (default 30s)"},
	}
}

// SettingsFromEnv reads the settings from their variables through getenv
// (os.Getenv when nil); errors name the variables.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	return ParseSettings(framework.EnvValues(SettingList(), getenv))
}

// ParseSettings reads and checks the settings in v; an error names the flag
// or variable that holds the bad value and says what it wants.
func ParseSettings(v framework.Values) (Settings, error) {
	var s Settings
	var err error
	if s.Cluster, err = parseOptions(v); err != nil {
		return s, err
	}
	for env, dst := range map[string]*bool{EnvLoadImage: &s.LoadImage, EnvDeploySimulated: &s.DeploySimulated,
		EnvKeepObjects: &s.KeepObjects, EnvBenchmarkNSExists: &s.NamespaceExists} {
		if *dst, err = v.Bool(env); err != nil {
			return s, err
		}
	}
	if t := v.Get(EnvJobTimeout); t != "" {
		if s.JobTimeout, err = time.ParseDuration(t); err != nil || s.JobTimeout <= 0 {
			return s, fmt.Errorf("%s=%q: want a positive duration such as 45m", v.Name(EnvJobTimeout), t)
		}
	}
	for env, dst := range map[string]*map[string]string{EnvBenchmarkNodeSel: &s.NodeSelector, EnvBenchmarkLabels: &s.PodLabels} {
		if *dst, err = parseSelector(v.Get(env)); err != nil {
			return s, fmt.Errorf("%s: %w", v.Name(env), err)
		}
	}
	if s.Resources, err = ParseResources(v.Get(EnvBenchmarkResources)); err != nil {
		return s, fmt.Errorf("%s: %w", v.Name(EnvBenchmarkResources), err)
	}
	if s.InferencePerfImage, err = inferencePerfImage(v); err != nil {
		return s, err
	}
	if s.Shards, err = readShards(v); err != nil {
		return s, err
	}
	if s.ShardStartDelay, err = readShardStartDelay(v); err != nil {
		return s, err
	}
	s.Image, s.SimulatedNamespace, s.HFToken = v.Get(EnvImage), v.Get(EnvSimulatedNS), v.Get(EnvHFToken)
	s.IRSARoleARN, s.Namespace, s.Arch, s.ServiceAccount = v.Get(EnvIRSARole), v.Get(EnvBenchmarkNS), v.Get(EnvBenchmarkArch), v.Get(EnvServiceAccount)
	return s, nil
}

// parseOptions reads the cluster's settings.
func parseOptions(v framework.Values) (Options, error) {
	o := Options{
		Provider:      ProviderKind(strings.ToLower(v.Get(EnvProvider))),
		Kubeconfig:    v.Get(EnvKubeconfig),
		Context:       v.Get(EnvContext),
		Name:          v.Get(EnvName),
		KindNodeImage: v.Get(EnvKindImage),
		ConfigFile:    v.Get(EnvConfigFile),
		DockerBinary:  v.Get(EnvDocker),
	}
	switch o.Provider {
	case "", Kubeconfig:
	case Kind:
		o.Binary = v.Get(EnvKindBinary)
	case Kwok:
		o.Binary = v.Get(EnvKwokctl)
	default:
		if err := kubeconfigAsProvider(v, &o); err != nil {
			return o, err
		}
	}
	var err error
	if o.Reuse, err = v.Bool(EnvReuse); err != nil {
		return o, err
	}
	if o.Keep, err = v.Bool(EnvKeep); err != nil {
		return o, err
	}
	return o, o.validate()
}

// kubeconfigAsProvider takes a cluster setting that names an existing file as the
// kubeconfig provider with that kubeconfig (--cluster ~/.kube/config); anything else is
// an error naming the choices.
func kubeconfigAsProvider(v framework.Values, o *Options) error {
	path := v.Get(EnvProvider)
	if fi, err := os.Stat(path); err != nil || fi.IsDir() {
		return fmt.Errorf("%s=%q: want kubeconfig, kind, kwok or the path of a kubeconfig file", v.Name(EnvProvider), path)
	}
	if o.Kubeconfig != "" && o.Kubeconfig != path {
		return fmt.Errorf("%s=%q and %s=%q name two kubeconfig files; give one", v.Name(EnvProvider), path, v.Name(EnvKubeconfig), o.Kubeconfig)
	}
	o.Provider, o.Kubeconfig = Kubeconfig, path
	return nil
}

// check says which setting engine (and the simulated vLLM) still needs; names
// says how the user gave each setting.
func (s Settings) check(engine Engine, names framework.Values) error {
	if err := checkShardEngine(s.Shards, engine, names); err != nil {
		return err
	}
	if (engine == EngineNative || s.DeploySimulated) && s.Image == "" {
		return fmt.Errorf("%s is required for the native-engine Job and the simulated vLLM (the tailgate image, e.g. tailgate:dev built from the Dockerfile)", names.Name(EnvImage))
	}
	return nil
}

// benchmark is the template of the Job's objects for engine.
func (s Settings) benchmark(engine Engine) BenchmarkInput {
	b := BenchmarkInput{Engine: engine, HFToken: s.HFToken, IRSARoleARN: s.IRSARoleARN, Arch: s.Arch,
		ServiceAccountName: s.ServiceAccount, NodeSelector: s.NodeSelector, PodLabels: s.PodLabels, Resources: s.Resources,
		Shards: s.Shards}
	if engine != EngineNative {
		b.Image = s.InferencePerfImage
	}
	return b
}

// inferencePerfImage reads the inference-perf image from TAILGATE_INFERENCE_PERF_IMAGE
// or its older name TAILGATE_BENCHMARK_IMAGE; empty means DefaultInferencePerfImage.
func inferencePerfImage(v framework.Values) (string, error) {
	img, old := v.Get(EnvInferencePerfImage), v.Get(EnvBenchmarkImage)
	if img != "" && old != "" && img != old {
		return "", fmt.Errorf("%s=%q and %s=%q disagree; set only %s", v.Name(EnvInferencePerfImage), img, v.Name(EnvBenchmarkImage), old, v.Name(EnvInferencePerfImage))
	}
	if img == "" {
		img = old
	}
	return img, nil
}

// parseSelector reads k=v[,k=v].
func parseSelector(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want key=value[,key=value]", kv)
		}
		out[k] = v
	}
	return out, nil
}
