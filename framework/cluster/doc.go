// Package cluster runs tailgate's benchmarks on Kubernetes through sigs.k8s.io/e2e-framework
// and client-go, never kubectl: it picks a cluster (an existing kubeconfig such as EKS, a kind
// cluster, or a kwok cluster), provisions the inference-perf benchmark (or the native engine)
// as a Job in a per-run namespace, waits for it to complete or fail, collects the report files
// from the pod log or S3, and removes what it created.
//
// Register adds the Job runners (inference-perf-job, native-job) and their settings
// (SettingList: -tailgate.* flags, --flags of `tailgate run`, TAILGATE_* variables) to a
// framework.Registry, so the suites and the CLI select them by name:
//
//	reg := framework.NewRegistry()
//	cluster.Register(reg)
//	flags := reg.RegisterFlags(flag.CommandLine)
//
// Used directly, SetupJobRunner sets up the cluster and a runner from typed Settings:
//
//	s, err := cluster.SettingsFromEnv(os.Getenv)
//	env, err := cluster.SetupJobRunner(ctx, cluster.EngineInferencePerf, s, GinkgoWriter)
//	DeferCleanup(env.Teardown)
//	rep, err := env.Runner.Run(ctx, scenarios.Production())
//
// Each run's objects live in a namespace of their own (ServiceAccount, ConfigMap with the
// rendered config.yml, a Secret for the API key, Hugging Face token and secret headers, and
// the Job); the namespace is deleted when the run ends, fails, times out or is interrupted,
// unless JobRunner.Keep is set. A failed Job or a pod that cannot start returns a *RunError
// carrying the pod's last log lines.
//
// Run chains steps that can also be called one by one, to act on the run between them:
// PrepareRun (name and render, nothing created), ProvisionRun, WaitForJob, CollectReport
// and CleanupRun. With BenchmarkInput.Shards above 1 (TAILGATE_SHARDS) the native engine
// runs as one Indexed Job of that many pods, each sending its shard of the load from a
// shared start; their reports are read from their pods' logs and merged.
package cluster
