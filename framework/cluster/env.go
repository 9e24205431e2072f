package cluster

import (
	"context"
	"errors"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/tailgate-dev/tailgate/framework"
)

// Environment variables of the Job settings (SettingList), besides the cluster's.
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
	Simulated *SimulatedVLLM // nil unless Settings.DeploySimulated
}

// SetupJobRunner checks the settings for engine, sets up the cluster (Setup), loads the
// tailgate image into a kind cluster when asked, deploys the simulated vLLM when asked,
// and returns a runner for engine. Call Teardown when done. progress may be nil.
func SetupJobRunner(ctx context.Context, engine Engine, s Settings, progress io.Writer) (*JobEnvironment, error) {
	if err := s.check(engine, framework.Values{}); err != nil {
		return nil, err
	}
	c, err := Setup(ctx, s.Cluster)
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
	if s.LoadImage {
		if err := c.LoadImage(ctx, s.Image); err != nil {
			return fail(err)
		}
		pull = corev1.PullNever
	}
	if s.DeploySimulated {
		sim, err := DeploySimulatedVLLM(ctx, c.Client, SimulatedVLLMInput{
			Namespace: s.SimulatedNamespace, Image: s.Image, ImagePullPolicy: pull})
		if err != nil {
			return fail(err)
		}
		env.Simulated = sim
	}
	bench := s.benchmark(engine)
	if engine == EngineNative {
		bench.Image, bench.ImagePullPolicy = s.Image, pull
	}
	env.Runner = &JobRunner{Client: c.Client, Benchmark: bench, Keep: s.KeepObjects, Timeout: s.JobTimeout, Progress: progress,
		Namespace: s.Namespace, UseExistingNamespace: s.NamespaceExists, ShardStartDelay: s.ShardStartDelay}
	return env, nil
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
