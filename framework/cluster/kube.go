package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/k8s"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
)

// kube holds the two clients a run uses: e2e-framework's resources for creating and
// deleting objects (always in the object's own namespace) and client-go's typed
// clientset for namespaced lists and logs. Neither is ever switched to another
// namespace, so nothing the run does reaches beyond its own.
type kube struct {
	res     *resources.Resources
	clients kubernetes.Interface
}

func newKube(c klient.Client) (*kube, error) {
	res, err := resources.New(c.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	clients, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return &kube{res: res, clients: clients}, nil
}

// deleteObjects deletes objects a run created in a namespace it did not create and
// waits until they (and so the Job's pods) are gone.
func deleteObjects(ctx context.Context, res *resources.Resources, objs []k8s.Object) error {
	var errs []error
	fg := resources.WithDeletePropagation(string(metav1.DeletePropagationForeground))
	for i := len(objs) - 1; i >= 0; i-- {
		if err := res.Delete(ctx, objs[i], fg); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("cluster: delete %T %s/%s: %w", objs[i], objs[i].GetNamespace(), objs[i].GetName(), err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, o := range objs {
		err := wait.For(conditions.New(res).ResourceDeleted(o), wait.WithContext(ctx),
			wait.WithInterval(time.Second), wait.WithTimeout(2*time.Minute), wait.WithImmediate())
		if err != nil {
			return fmt.Errorf("cluster: %T %s/%s still present after delete: %w", o, o.GetNamespace(), o.GetName(), err)
		}
	}
	return nil
}

// scrubSecrets replaces every secret value found in the files of dir with <redacted>,
// so no collected report or config carries the API key, token or a URL password.
func scrubSecrets(dir string, secrets ...string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		clean := data
		for _, s := range secrets {
			if s != "" {
				clean = bytes.ReplaceAll(clean, []byte(s), []byte("<redacted>"))
			}
		}
		if !bytes.Equal(clean, data) {
			if err := os.WriteFile(path, clean, 0o600); err != nil {
				return fmt.Errorf("cluster: %w", err)
			}
		}
	}
	return nil
}
