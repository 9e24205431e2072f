// Package cluster runs tailgate's benchmarks on Kubernetes through sigs.k8s.io/e2e-framework
// and client-go, never kubectl: it picks a cluster (an existing kubeconfig such as EKS, a kind
// cluster, or a kwok cluster), provisions the inference-perf benchmark (or the native engine)
// as a Job in a per-run namespace, waits for it to complete or fail, collects the report files
// from the pod log or S3, and removes what it created.
package cluster
