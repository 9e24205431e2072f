package cluster

import (
	"context"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// Names of the Job runners Register adds.
const (
	// RunnerInferencePerfJob runs inference-perf's image as a Kubernetes Job.
	RunnerInferencePerfJob = "inference-perf-job"
	// RunnerNativeJob runs tailgate's own load engine (the tailgate image) as a Kubernetes Job.
	RunnerNativeJob = "native-job"
)

// Register adds the Kubernetes Job runners to reg, with their settings
// (SettingList): inference-perf-job and native-job. Each sets up its cluster
// when a run starts and tears down what it set up when the run ends; with
// deploy-simulated-vllm the simulated vLLM it deploys becomes the target when
// no target URL is given.
func Register(reg *framework.Registry) {
	for _, r := range []struct {
		name, usage, noShards string
		engine                Engine
	}{
		{RunnerInferencePerfJob, "inference-perf's image as a Kubernetes Job",
			"inference-perf's reports hold percentiles only, which do not merge; use the native or native-job runner", EngineInferencePerf},
		{RunnerNativeJob, "tailgate's load engine as a Kubernetes Job",
			"a native-job run shards itself as one Indexed Job: set " + EnvShards + " instead", EngineNative},
	} {
		engine := r.engine
		reg.Register(framework.RunnerSpec{
			Name: r.name, Usage: r.usage, Settings: SettingList(), NoShards: r.noShards,
			Check: func(v framework.Values) error {
				s, err := ParseSettings(v)
				if err != nil {
					return err
				}
				return s.check(engine, v)
			},
			New: func(ctx context.Context, in framework.RunnerInput) (framework.Runner, error) {
				s, err := ParseSettings(in.Settings.RunnerSettings)
				if err != nil {
					return nil, err
				}
				env, err := SetupJobRunner(ctx, engine, s, in.Log)
				if err != nil {
					return nil, err
				}
				return &jobRunner{env: env}, nil
			},
		})
	}
}

// jobRunner is a registered Job runner: it measures a report, may bring the
// simulated vLLM it deployed as the target, and tears down what it set up.
type jobRunner struct {
	env *JobEnvironment
}

// Run implements framework.Runner.
func (r *jobRunner) Run(ctx context.Context, cfg scenarios.Config) (framework.Measurement, error) {
	rep, err := r.env.Runner.Run(ctx, cfg)
	return framework.Measurement{Report: rep}, err
}

// TargetURL implements framework.TargetProvider: the deployed simulated vLLM's URL, or "".
func (r *jobRunner) TargetURL() string {
	if r.env.Simulated == nil {
		return ""
	}
	return r.env.Simulated.URL
}

// Close implements framework.RunnerCloser.
func (r *jobRunner) Close(ctx context.Context) error { return r.env.Teardown(ctx) }
