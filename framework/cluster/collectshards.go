package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// shardPods returns, for each shard index of the run's Indexed Job, its latest pod.
func shardPods(ctx context.Context, k *kube, ref jobRef) (map[int]*corev1.Pod, error) {
	pods, err := k.clients.CoreV1().Pods(ref.ns).List(ctx, metav1.ListOptions{LabelSelector: ref.podSelector()})
	if err != nil {
		return nil, fmt.Errorf("list pods of job %s/%s: %w", ref.ns, ref.name, err)
	}
	latest := map[int]*corev1.Pod{}
	for i := range pods.Items {
		p := &pods.Items[i]
		idx, err := strconv.Atoi(p.Labels[completionIndexLabel])
		if err != nil {
			continue
		}
		if q, ok := latest[idx]; !ok || q.CreationTimestamp.Before(&p.CreationTimestamp) {
			latest[idx] = p
		}
	}
	return latest, nil
}

// unfinishedShards lists, in order, the shard indices whose latest pod did not succeed.
func unfinishedShards(ctx context.Context, k *kube, ref jobRef) ([]int, error) {
	pods, err := shardPods(ctx, k, ref)
	if err != nil {
		return nil, err
	}
	var out []int
	for i := range ref.shards {
		if p := pods[i]; p == nil || p.Status.Phase != corev1.PodSucceeded {
			out = append(out, i)
		}
	}
	return out, nil
}

// shardsFailed is the error of a sharded Job that failed: it names the shards that did
// not complete and carries the first one's last log lines.
func (r *JobRunner) shardsFailed(ctx context.Context, k *kube, ref jobRef, outcome JobOutcome) error {
	failed, err := unfinishedShards(ctx, k, ref)
	if err != nil || len(failed) == 0 {
		tail, _ := r.podLogTail(ctx, k.clients, ref)
		return &RunError{Namespace: ref.ns, Job: ref.name, Reason: "failed: " + outcome.Reason, Logs: tail, Err: err}
	}
	tail, _ := r.podLogTail(ctx, k.clients, ref.forShard(failed[0]))
	reason := fmt.Sprintf("%s failed: %s", shardNames(failed, ref.shards), outcome.Reason)
	r.progress("job %s/%s: %s", ref.ns, ref.name, reason)
	return &RunError{Namespace: ref.ns, Job: ref.name, Reason: reason, Logs: tail, Shards: failed}
}

// shardNames spells indices of n shards as "shard 1 of 3" or "shards 0, 2 of 3".
func shardNames(indices []int, n int) string {
	s := make([]string, len(indices))
	for i, idx := range indices {
		s[i] = strconv.Itoa(idx)
	}
	word := "shard"
	if len(s) > 1 {
		word = "shards"
	}
	return fmt.Sprintf("%s %s of %d", word, strings.Join(s, ", "), n)
}

// collectShards reads each completed shard's report from its pod's log into its own
// directory under dir (shard-<index>) and merges them. Shards whose pod did not complete
// are left out and the merge is marked partial, naming them.
func (r *JobRunner) collectShards(ctx context.Context, run *JobRun, dir string) (*report.Report, error) {
	ref := run.ref
	missing, err := unfinishedShards(ctx, run.kube, ref)
	if err != nil {
		return nil, &RunError{Namespace: ref.ns, Job: ref.name, Reason: "find the shards' pods", Err: err}
	}
	var reps []*report.Report
	for i := range ref.shards {
		if slices.Contains(missing, i) {
			continue
		}
		rep, err := r.readShard(ctx, run, i, filepath.Join(dir, "shard-"+strconv.Itoa(i)))
		if err != nil {
			return nil, err
		}
		reps = append(reps, rep)
	}
	if len(reps) == 0 {
		return nil, &RunError{Namespace: ref.ns, Job: ref.name, Shards: missing, Reason: "no shard completed"}
	}
	merged, err := report.MergeShardsPresent(reps...)
	if err != nil {
		return nil, fmt.Errorf("cluster: merge the shard reports of job %s/%s: %w", ref.ns, ref.name, err)
	}
	if len(missing) > 0 {
		markPartial(merged, fmt.Sprintf("%s did not complete; the report merges the other shards only", shardNames(missing, ref.shards)))
	}
	return merged, nil
}

// readShard collects and parses shard i's report; a failure names the shard.
func (r *JobRunner) readShard(ctx context.Context, run *JobRun, i int, dir string) (*report.Report, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cluster: report dir: %w", err)
	}
	rep, err := r.readReport(ctx, run, run.ref.forShard(i), dir)
	var re *RunError
	if errors.As(err, &re) {
		re.Reason = shardNames([]int{i}, run.ref.shards) + ": " + re.Reason
		re.Shards = []int{i}
		return nil, re
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: %s: %w", shardNames([]int{i}, run.ref.shards), err)
	}
	return rep, nil
}
