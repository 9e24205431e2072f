package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// EnvShards is the number of generator pods of a native-engine Job run: above 1, the
// run is one Indexed Job of that many pods whose reports are merged (default 1).
const EnvShards = "TAILGATE_SHARDS"

// EnvShardStartDelay is how long after the Job is rendered its shards start their load
// together (default DefaultShardStartDelay).
const EnvShardStartDelay = "TAILGATE_SHARD_START_DELAY"

// DefaultShardStartDelay is how long after the Job is rendered the shards start their
// load together: time for every pod to be scheduled, pull its image and start.
const DefaultShardStartDelay = 30 * time.Second

// completionIndexLabel is the label the Job controller puts on each pod of an Indexed
// Job: the pod's completion index, which is its shard index.
const completionIndexLabel = "batch.kubernetes.io/job-completion-index"

// readShards reads TAILGATE_SHARDS: a whole number from 1 (1 when unset).
func readShards(v framework.Values) (int, error) {
	raw := strings.TrimSpace(v.Get(EnvShards))
	if raw == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s=%q: want a whole number of generator pods, 1 or more", v.Name(EnvShards), raw)
	}
	return n, nil
}

// readShardStartDelay reads TAILGATE_SHARD_START_DELAY: a positive duration, or 0
// (DefaultShardStartDelay) when unset.
func readShardStartDelay(v framework.Values) (time.Duration, error) {
	raw := v.Get(EnvShardStartDelay)
	if raw == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 45s", v.Name(EnvShardStartDelay), raw)
	}
	return d, nil
}

// checkShardEngine refuses more than one shard for an engine that cannot merge them.
func checkShardEngine(shards int, engine Engine, names framework.Values) error {
	if shards > 1 && engine != EngineNative {
		return fmt.Errorf("%s=%d: %w", names.Name(EnvShards), shards, errShardedInferencePerf)
	}
	return nil
}

// errShardedInferencePerf says why inference-perf runs are never sharded.
var errShardedInferencePerf = fmt.Errorf("the inference-perf engine cannot be sharded: its reports hold percentiles only, and percentiles of shards cannot be merged into the run's percentiles; use the native-job runner (its reports keep the histograms) or unset %s", EnvShards)

// checkShards refuses a sharded input the Job cannot run.
func checkShards(in BenchmarkInput) error {
	switch {
	case in.Shards < 0:
		return fmt.Errorf("benchmark: shards %d: want 1 or more (%s)", in.Shards, EnvShards)
	case in.Shards <= 1:
		return nil
	case in.Engine != EngineNative:
		return fmt.Errorf("benchmark: %d shards: %w", in.Shards, errShardedInferencePerf)
	case in.StartAt.IsZero():
		return fmt.Errorf("benchmark: %d shards need StartAt, the instant every shard starts its load", in.Shards)
	}
	return nil
}

// checkShardedScenario refuses a scenario that cannot be split over n shards before
// anything is created: a sweep's saturation probe needs one generator that sees the
// whole load.
func checkShardedScenario(cfg scenarios.Config, n int) error {
	if n > 1 && cfg.Load.Sweep != nil {
		return fmt.Errorf("cluster: %s=%d: load.sweep cannot be sharded (its saturation probe needs one generator that sees the whole load); run the sweep unsharded, or give its rates as load.stages", EnvShards, n)
	}
	return nil
}

// shardArgs are the arguments that make one pod of the Indexed Job run its own shard:
// the index the Job controller gives the pod, and the shared start.
func (in BenchmarkInput) shardArgs() string {
	if in.Shards <= 1 {
		return ""
	}
	return fmt.Sprintf(` --shard "$JOB_COMPLETION_INDEX/%d" --start-at %s`, in.Shards, in.StartAt.UTC().Format(time.RFC3339))
}

// shardJob makes job an Indexed Job of in.Shards pods. Each index gets the retries a
// single-pod Job would get (BackoffLimit, default none) on its own, so one failed shard
// leaves the others to finish and report; the Job then fails naming the index. The pods
// prefer distinct nodes, so shards do not compete for one node's CPU and sockets.
func shardJob(job *batchv1.Job, in BenchmarkInput) {
	n := int32(in.Shards)
	mode := batchv1.IndexedCompletion
	job.Spec.CompletionMode = &mode
	job.Spec.Completions, job.Spec.Parallelism = &n, &n
	perIndex := int32(0)
	if job.Spec.BackoffLimit != nil {
		perIndex = *job.Spec.BackoffLimit
	}
	job.Spec.BackoffLimitPerIndex = &perIndex
	job.Spec.BackoffLimit = nil // the API server sets it to "no global limit"
	pod := &job.Spec.Template.Spec
	if pod.Affinity == nil {
		pod.Affinity = &corev1.Affinity{}
	}
	pod.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100,
			PodAffinityTerm: corev1.PodAffinityTerm{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{RunLabel: in.RunID}},
				TopologyKey:   "kubernetes.io/hostname",
			},
		}},
	}
}

// shardNote describes an Indexed Job's shards for a progress line; "" for one pod.
func shardNote(job *batchv1.Job) string {
	if job.Spec.Completions == nil || *job.Spec.Completions <= 1 {
		return ""
	}
	return fmt.Sprintf(", %d shards", *job.Spec.Completions)
}
