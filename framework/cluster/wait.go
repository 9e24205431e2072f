package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// JobOutcome is how a benchmark Job ended.
type JobOutcome struct {
	Complete bool   // the Job's Complete condition is true
	Failed   bool   // the Job's Failed condition is true, or its pod can never start
	Reason   string // the condition's (or the pod's) reason and message, for failures
}

// fatalWaiting are container waiting reasons that do not resolve by waiting longer.
var fatalWaiting = []string{"ErrImagePull", "ImagePullBackOff", "InvalidImageName",
	"CreateContainerConfigError", "CreateContainerError"}

// jobFinished is a klient/wait condition that is done when the run's Job is Complete or
// Failed (conditions.JobCompleted alone would wait out its timeout on a failed Job), or
// when one of its pods is stuck on an error that waiting cannot fix (an image that cannot
// be pulled). It reads only the run's namespace and the pods with the run's labels. The
// outcome is stored in out.
func jobFinished(k *kube, ref jobRef, out *JobOutcome) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		j, err := k.clients.BatchV1().Jobs(ref.ns).Get(ctx, ref.name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("get job %s/%s: %w", ref.ns, ref.name, err)
		}
		if o, done := jobOutcome(j); done {
			*out = o
			return true, nil
		}
		pods, err := k.clients.CoreV1().Pods(ref.ns).List(ctx, metav1.ListOptions{LabelSelector: ref.podSelector()})
		if err != nil {
			return false, fmt.Errorf("list pods of job %s/%s: %w", ref.ns, ref.name, err)
		}
		for _, p := range pods.Items {
			for _, cs := range p.Status.ContainerStatuses {
				if w := cs.State.Waiting; w != nil && slices.Contains(fatalWaiting, w.Reason) {
					*out = JobOutcome{Failed: true, Reason: fmt.Sprintf("pod %s: %s: %s", p.Name, w.Reason, w.Message)}
					return true, nil
				}
			}
		}
		return false, nil
	}
}

// jobOutcome reads the Job's Complete or Failed condition.
func jobOutcome(j *batchv1.Job) (JobOutcome, bool) {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return JobOutcome{Complete: true}, true
		case batchv1.JobFailed:
			return JobOutcome{Failed: true, Reason: strings.TrimSpace(c.Reason + ": " + c.Message)}, true
		}
	}
	return JobOutcome{}, false
}
