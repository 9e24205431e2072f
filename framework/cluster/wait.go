package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
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

// jobFinished is a klient/wait condition that is done when the Job is Complete or Failed
// (conditions.JobCompleted alone would wait out its timeout on a failed Job), or when one of
// its pods is stuck on an error that waiting cannot fix (an image that cannot be pulled).
// The outcome is stored in out.
func jobFinished(r *resources.Resources, job *batchv1.Job, out *JobOutcome) func(context.Context) (bool, error) {
	match := conditions.New(r).ResourceMatch(job, func(obj k8s.Object) bool {
		j := obj.(*batchv1.Job)
		for _, c := range j.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				continue
			}
			switch c.Type {
			case batchv1.JobComplete:
				*out = JobOutcome{Complete: true}
				return true
			case batchv1.JobFailed:
				*out = JobOutcome{Failed: true, Reason: strings.TrimSpace(c.Reason + ": " + c.Message)}
				return true
			}
		}
		return false
	})
	return func(ctx context.Context) (bool, error) {
		done, err := match(ctx)
		if done || err != nil {
			return done, err
		}
		var pods corev1.PodList
		if err := r.List(ctx, &pods, resources.WithLabelSelector("batch.kubernetes.io/job-name="+job.Name)); err != nil {
			return false, fmt.Errorf("list pods of job %s/%s: %w", job.Namespace, job.Name, err)
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
