package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Environment variables read by SetupJobRunner, besides the ClusterOptionsFromEnv ones.
const (
	EnvImage              = "TAILGATE_IMAGE"                      // tailgate image: native-engine Job, simulated vLLM
	EnvInferencePerfImage = "TAILGATE_INFERENCE_PERF_IMAGE"       // inference-perf image; default DefaultInferencePerfImage
	EnvBenchmarkImage     = "TAILGATE_BENCHMARK_IMAGE"            // older name of TAILGATE_INFERENCE_PERF_IMAGE
	EnvLoadImage          = "TAILGATE_LOAD_IMAGE"                 // true: kind load TAILGATE_IMAGE into the cluster
	EnvDeploySimulated    = "TAILGATE_DEPLOY_SIMULATED_VLLM"      // true: deploy the simulated vLLM as the target
	EnvSimulatedNS        = "TAILGATE_SIMULATED_NAMESPACE"        // its namespace; default "default"
	EnvHFToken            = "TAILGATE_HF_TOKEN"                   // Hugging Face token for the tokenizer download
	EnvIRSARole           = "TAILGATE_IRSA_ROLE_ARN"              // IAM role for the benchmark's ServiceAccount
	EnvKeepObjects        = "TAILGATE_KEEP_OBJECTS"               // true: keep each run's namespace for debugging
	EnvJobTimeout         = "TAILGATE_JOB_TIMEOUT"                // e.g. 45m; default from the scenario's duration
	EnvBenchmarkNodeSel   = "TAILGATE_BENCHMARK_NODE_SELECTOR"    // k=v[,k=v] for the benchmark pod
	EnvBenchmarkNS        = "TAILGATE_BENCHMARK_NAMESPACE"        // exact run namespace (must not exist); default random
	EnvBenchmarkNSExists  = "TAILGATE_BENCHMARK_NAMESPACE_EXISTS" // true: run in TAILGATE_BENCHMARK_NAMESPACE as given, never create or delete it
	EnvBenchmarkLabels    = "TAILGATE_BENCHMARK_POD_LABELS"       // k=v[,k=v] added to the benchmark pod
	EnvBenchmarkResources = "TAILGATE_BENCHMARK_RESOURCES"        // e.g. requests.cpu=4,limits.memory=16Gi over the chart's defaults
	EnvBenchmarkArch      = "TAILGATE_BENCHMARK_ARCH"             // kubernetes.io/arch of the benchmark pod; default amd64, "any" for none
	EnvServiceAccount     = "TAILGATE_BENCHMARK_SERVICE_ACCOUNT"  // ServiceAccount name (what an IRSA trust policy names); default inference-perf
)

// JobEnvironment is a cluster, a Job runner for it and, when asked, the simulated vLLM
// deployed in it as the target.
type JobEnvironment struct {
	Cluster   *Cluster
	Runner    *JobRunner
	Simulated *SimulatedVLLM // nil unless TAILGATE_DEPLOY_SIMULATED_VLLM=true
}

// SetupJobRunner reads the environment through getenv (os.Getenv in production), sets up
// the cluster (ClusterOptionsFromEnv), loads the tailgate image into a kind cluster when
// asked, deploys the simulated vLLM when asked, and returns a runner for engine. Call
// Teardown when done (in Ginkgo: DeferCleanup(env.Teardown)). progress may be nil.
func SetupJobRunner(ctx context.Context, engine Engine, getenv func(string) string, progress io.Writer) (*JobEnvironment, error) {
	opts, err := ClusterOptionsFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	s, err := readJobSettings(engine, getenv)
	if err != nil {
		return nil, err
	}
	c, err := Setup(ctx, opts)
	if err != nil {
		return nil, err
	}
	env := &JobEnvironment{Cluster: c}
	fail := func(err error) (*JobEnvironment, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
		defer cancel()
		return nil, errors.Join(err, env.Teardown(cctx))
	}
	pull := corev1.PullPolicy("")
	if s.loadImage {
		if err := c.LoadImage(ctx, s.image); err != nil {
			return fail(err)
		}
		pull = corev1.PullNever
	}
	if s.deploySim {
		sim, err := DeploySimulatedVLLM(ctx, c.Client, SimulatedVLLMInput{
			Namespace: getenv(EnvSimulatedNS), Image: s.image, ImagePullPolicy: pull})
		if err != nil {
			return fail(err)
		}
		env.Simulated = sim
	}
	if engine == EngineNative {
		s.bench.Image, s.bench.ImagePullPolicy = s.image, pull
	}
	env.Runner = &JobRunner{Client: c.Client, Benchmark: s.bench, Keep: s.keep, Timeout: s.timeout, Progress: progress,
		Namespace: getenv(EnvBenchmarkNS), UseExistingNamespace: s.existingNS}
	return env, nil
}

// jobSettings are the TAILGATE_* settings of SetupJobRunner besides the cluster's.
type jobSettings struct {
	loadImage, deploySim, keep bool
	existingNS                 bool
	timeout                    time.Duration
	image                      string // the tailgate image
	bench                      BenchmarkInput
}

// readJobSettings reads and checks every setting before anything touches a cluster.
func readJobSettings(engine Engine, getenv func(string) string) (jobSettings, error) {
	var s jobSettings
	var err error
	for name, dst := range map[string]*bool{EnvLoadImage: &s.loadImage, EnvDeploySimulated: &s.deploySim, EnvKeepObjects: &s.keep, EnvBenchmarkNSExists: &s.existingNS} {
		if *dst, err = envBool(getenv, name); err != nil {
			return s, err
		}
	}
	if v := getenv(EnvJobTimeout); v != "" {
		if s.timeout, err = time.ParseDuration(v); err != nil || s.timeout <= 0 {
			return s, fmt.Errorf("%s=%q: want a positive duration such as 45m", EnvJobTimeout, v)
		}
	}
	b := BenchmarkInput{Engine: engine, HFToken: getenv(EnvHFToken), IRSARoleARN: getenv(EnvIRSARole),
		Arch: getenv(EnvBenchmarkArch), ServiceAccountName: getenv(EnvServiceAccount)}
	if b.NodeSelector, err = parseSelector(getenv(EnvBenchmarkNodeSel)); err != nil {
		return s, fmt.Errorf("%s: %w", EnvBenchmarkNodeSel, err)
	}
	if b.PodLabels, err = parseSelector(getenv(EnvBenchmarkLabels)); err != nil {
		return s, fmt.Errorf("%s: %w", EnvBenchmarkLabels, err)
	}
	if b.Resources, err = ParseResources(getenv(EnvBenchmarkResources)); err != nil {
		return s, fmt.Errorf("%s: %w", EnvBenchmarkResources, err)
	}
	if b.Shards, err = readShards(engine, getenv); err != nil {
		return s, err
	}
	if engine != EngineNative {
		if b.Image, err = inferencePerfImage(getenv); err != nil {
			return s, err
		}
	}
	s.image, s.bench = getenv(EnvImage), b
	if (engine == EngineNative || s.deploySim) && s.image == "" {
		return s, fmt.Errorf("%s is required for the native-engine Job and the simulated vLLM (the tailgate image, e.g. tailgate:dev built from the Dockerfile)", EnvImage)
	}
	return s, nil
}

// Teardown deletes the simulated vLLM it deployed and the cluster it created (never a
// cluster it did not create, nor one kept with TAILGATE_KEEP_CLUSTER).
func (e *JobEnvironment) Teardown(ctx context.Context) error {
	if e == nil {
		return nil
	}
	var errs []error
	if e.Simulated != nil {
		errs = append(errs, e.Simulated.Delete(ctx))
	}
	errs = append(errs, e.Cluster.Teardown(ctx))
	return errors.Join(errs...)
}

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

// inferencePerfImage reads the inference-perf image from TAILGATE_INFERENCE_PERF_IMAGE
// or its older name TAILGATE_BENCHMARK_IMAGE; empty means DefaultInferencePerfImage.
func inferencePerfImage(getenv func(string) string) (string, error) {
	img, old := getenv(EnvInferencePerfImage), getenv(EnvBenchmarkImage)
	if img != "" && old != "" && img != old {
		return "", fmt.Errorf("%s=%q and %s=%q disagree; set only %s", EnvInferencePerfImage, img, EnvBenchmarkImage, old, EnvInferencePerfImage)
	}
	if img == "" {
		img = old
	}
	return img, nil
}
