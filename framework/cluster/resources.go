package cluster

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DefaultBenchmarkResources are the benchmark container's resources when none are
// set: the AI-on-EKS benchmark chart's requests of 2 CPU / 4Gi and limits of 4 CPU / 8Gi.
func DefaultBenchmarkResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")},
	}
}

// ParseResources reads "requests.cpu=2,limits.memory=8Gi" into the defaults
// (DefaultBenchmarkResources): each entry replaces one value; "none" removes it.
func ParseResources(spec string) (corev1.ResourceRequirements, error) {
	out := DefaultBenchmarkResources()
	for _, kv := range strings.Split(spec, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		kind, name, ok2 := strings.Cut(k, ".")
		list := map[string]corev1.ResourceList{"requests": out.Requests, "limits": out.Limits}[kind]
		if !ok || !ok2 || list == nil || name == "" {
			return out, fmt.Errorf("%q: want requests.<resource>=<quantity> or limits.<resource>=<quantity>, e.g. requests.cpu=2,limits.memory=8Gi", kv)
		}
		if v == "none" {
			delete(list, corev1.ResourceName(name))
			continue
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return out, fmt.Errorf("%q: %s is not a quantity (e.g. 2, 500m, 4Gi)", kv, v)
		}
		list[corev1.ResourceName(name)] = q
	}
	return out, nil
}
