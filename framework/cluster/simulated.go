package cluster

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/decoder"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"

	"github.com/tailgate-dev/tailgate/fixtures/manifests"
)

// SimulatedVLLMInput says where and how to deploy the simulated vLLM
// (fixtures/manifests: a Deployment running `tailgate mock-vllm` and its Service).
type SimulatedVLLMInput struct {
	// Namespace to deploy into; default "default" (the guide's qwen3-vllm.default:8000).
	// It is created when missing, and then deleted with the simulated vLLM.
	Namespace string
	// Image is the tailgate image; default the manifest's.
	Image string
	// ImagePullPolicy; use Never for an image loaded with kind load.
	ImagePullPolicy corev1.PullPolicy
	// ExtraArgs are appended to `tailgate mock-vllm`'s arguments (e.g. --profile=fixed).
	ExtraArgs []string
	// Replicas; default 1.
	Replicas int32
	// Timeout for the Deployment to become available; default 3 minutes.
	Timeout time.Duration
}

// SimulatedVLLM is a deployed simulated vLLM.
type SimulatedVLLM struct {
	// Namespace and Name of its Deployment and Service.
	Namespace, Name string
	// URL is its in-cluster base URL, e.g. http://qwen3-vllm.default:8000.
	URL string
	// PodLabels are the labels its pods carry (for TargetAffinity).
	PodLabels map[string]string

	res       *resources.Resources
	deploy    *appsv1.Deployment
	service   *corev1.Service
	createdNS bool
}

// DeploySimulatedVLLM creates the simulated vLLM's Deployment and Service and waits until
// the Deployment is available. Delete removes them (and the namespace if it created it).
func DeploySimulatedVLLM(ctx context.Context, client klient.Client, in SimulatedVLLMInput) (*SimulatedVLLM, error) {
	if in.Namespace == "" {
		in.Namespace = "default"
	}
	res, err := resources.New(client.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("simulated vLLM: %w", err)
	}
	s, err := simulatedObjects(ctx, in)
	if err != nil {
		return nil, err
	}
	s.res = res
	var ns corev1.Namespace
	if err := res.Get(ctx, in.Namespace, "", &ns); apierrors.IsNotFound(err) {
		ns = corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: in.Namespace}}
		if err := res.Create(ctx, &ns); err != nil {
			return nil, fmt.Errorf("simulated vLLM: create namespace %s: %w", in.Namespace, err)
		}
		s.createdNS = true
	} else if err != nil {
		return nil, fmt.Errorf("simulated vLLM: namespace %s: %w", in.Namespace, err)
	}
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Minute
	}
	if err := s.create(ctx, timeout); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		return nil, errors.Join(err, s.Delete(cctx))
	}
	return s, nil
}

// simulatedObjects decodes the embedded manifest and fits its Deployment and Service to in.
func simulatedObjects(ctx context.Context, in SimulatedVLLMInput) (*SimulatedVLLM, error) {
	objs, err := decoder.DecodeAll(ctx, bytes.NewReader(manifests.MockVLLM()))
	if err != nil {
		return nil, fmt.Errorf("simulated vLLM: decode embedded manifest: %w", err)
	}
	s := &SimulatedVLLM{Namespace: in.Namespace}
	for _, o := range objs {
		switch v := o.(type) {
		case *appsv1.Deployment:
			s.deploy = v
		case *corev1.Service:
			s.service = v
		default:
			return nil, fmt.Errorf("simulated vLLM: embedded manifest has an unexpected %T", o)
		}
	}
	if s.deploy == nil || s.service == nil || len(s.deploy.Spec.Template.Spec.Containers) == 0 {
		return nil, errors.New("simulated vLLM: embedded manifest lacks the Deployment or the Service")
	}
	s.Name = s.deploy.Name
	s.deploy.Namespace, s.service.Namespace = in.Namespace, in.Namespace
	c := &s.deploy.Spec.Template.Spec.Containers[0]
	c.Image = cmp.Or(in.Image, c.Image)
	c.ImagePullPolicy = cmp.Or(in.ImagePullPolicy, c.ImagePullPolicy)
	c.Args = append(c.Args, in.ExtraArgs...)
	if in.Replicas > 0 {
		s.deploy.Spec.Replicas = &in.Replicas
	}
	s.PodLabels = maps.Clone(s.deploy.Spec.Template.Labels)
	port := int32(8000)
	if len(s.service.Spec.Ports) > 0 {
		port = s.service.Spec.Ports[0].Port
	}
	s.URL = fmt.Sprintf("http://%s.%s:%d", s.service.Name, in.Namespace, port)
	return s, nil
}

// create creates the Deployment and the Service and waits up to timeout for the
// Deployment to be available.
func (s *SimulatedVLLM) create(ctx context.Context, timeout time.Duration) error {
	if err := s.res.Create(ctx, s.deploy); err != nil {
		return fmt.Errorf("simulated vLLM: create deployment %s/%s: %w", s.Namespace, s.Name, err)
	}
	if err := s.res.Create(ctx, s.service); err != nil {
		return fmt.Errorf("simulated vLLM: create service %s/%s: %w", s.Namespace, s.service.Name, err)
	}
	err := wait.For(conditions.New(s.res).DeploymentAvailable(s.Name, s.Namespace), wait.WithContext(ctx),
		wait.WithTimeout(timeout), wait.WithInterval(time.Second), wait.WithImmediate())
	if err != nil {
		return fmt.Errorf("simulated vLLM: deployment %s/%s not available after %s (image %s pullable? `kind load` it or set ImagePullPolicy): %w",
			s.Namespace, s.Name, timeout, s.deploy.Spec.Template.Spec.Containers[0].Image, err)
	}
	return nil
}

// Affinity returns a TargetAffinity that places a benchmark pod near the simulated vLLM's
// pods (same node for topology key kubernetes.io/hostname; same zone by default).
func (s *SimulatedVLLM) Affinity(topologyKey string) *TargetAffinity {
	return &TargetAffinity{Namespace: s.Namespace, Labels: maps.Clone(s.PodLabels), TopologyKey: topologyKey}
}

// Delete removes the Deployment and Service (and the namespace when it was created for
// them) and waits until they are gone.
func (s *SimulatedVLLM) Delete(ctx context.Context) error {
	if s == nil || s.res == nil {
		return nil
	}
	if s.createdNS {
		return DeleteNamespace(ctx, s.res, s.Namespace)
	}
	var errs []error
	if err := s.res.Delete(ctx, s.service); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("simulated vLLM: delete service: %w", err))
	}
	if err := s.res.Delete(ctx, s.deploy, resources.WithDeletePropagation(string(metav1.DeletePropagationForeground))); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("simulated vLLM: delete deployment: %w", err))
	}
	if len(errs) == 0 {
		if err := wait.For(conditions.New(s.res).ResourceDeleted(s.deploy), wait.WithContext(ctx),
			wait.WithTimeout(2*time.Minute), wait.WithInterval(time.Second), wait.WithImmediate()); err != nil {
			errs = append(errs, fmt.Errorf("simulated vLLM: deployment still present: %w", err))
		}
	}
	return errors.Join(errs...)
}
