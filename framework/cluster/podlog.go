package cluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// jobRef names one run's Job: its namespace, name and the run id its objects carry
// (RunLabel). existing is true when the namespace was given to the run, not created.
// shards is the Indexed Job's pod count (0 or 1: one pod); shard, when set, narrows the
// ref to the pods of one completion index.
type jobRef struct {
	ns, name, runID string
	existing        bool
	shards          int
	shard           string
}

// podSelector selects the run's own pods: its Job's, with its run label (and, for one
// shard, its completion index).
func (j jobRef) podSelector() string {
	sel := "batch.kubernetes.io/job-name=" + j.name + "," + RunLabel + "=" + j.runID
	if j.shard != "" {
		sel += "," + completionIndexLabel + "=" + j.shard
	}
	return sel
}

// forShard narrows the ref to the pods of shard i.
func (j jobRef) forShard(i int) jobRef {
	j.shard = strconv.Itoa(i)
	return j
}

// latestPod returns the most recently created pod of the run's Job.
func latestPod(ctx context.Context, clients kubernetes.Interface, ref jobRef) (*corev1.Pod, error) {
	pods, err := clients.CoreV1().Pods(ref.ns).List(ctx, metav1.ListOptions{LabelSelector: ref.podSelector()})
	if err != nil {
		return nil, fmt.Errorf("list pods of job %s/%s: %w", ref.ns, ref.name, err)
	}
	if len(pods.Items) == 0 {
		return nil, fmt.Errorf("job %s/%s has no pod", ref.ns, ref.name)
	}
	sort.Slice(pods.Items, func(i, j int) bool {
		return pods.Items[i].CreationTimestamp.Before(&pods.Items[j].CreationTimestamp)
	})
	return &pods.Items[len(pods.Items)-1], nil
}

func openLog(ctx context.Context, clients kubernetes.Interface, ref jobRef) (io.ReadCloser, *corev1.Pod, error) {
	pod, err := latestPod(ctx, clients, ref)
	if err != nil {
		return nil, nil, err
	}
	rc, err := clients.CoreV1().Pods(ref.ns).GetLogs(pod.Name, &corev1.PodLogOptions{Container: benchContainer}).Stream(ctx)
	if err != nil {
		return nil, pod, fmt.Errorf("log of pod %s/%s: %w", ref.ns, pod.Name, err)
	}
	return rc, pod, nil
}

func (r *JobRunner) logLines() int {
	if r.LogLines <= 0 {
		return 50
	}
	return r.LogLines
}

// podLogTail returns the last lines of the Job's latest pod's log, followed by the
// container's termination state; on error it says why the log is unavailable.
func (r *JobRunner) podLogTail(ctx context.Context, clients kubernetes.Interface, ref jobRef) (string, error) {
	rc, pod, err := openLog(ctx, clients, ref)
	if err != nil {
		return "(log unavailable: " + err.Error() + ")" + terminationNote(pod), err
	}
	defer rc.Close()
	t := &tailLines{n: r.logLines()}
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

// collectFromLog extracts the report files from the Job's latest pod's log into dir and
// returns their names and the log's last lines.
func (r *JobRunner) collectFromLog(ctx context.Context, clients kubernetes.Interface, ref jobRef, dir string) ([]string, string, error) {
	rc, pod, err := openLog(ctx, clients, ref)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	t := &tailLines{n: r.logLines()}
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
