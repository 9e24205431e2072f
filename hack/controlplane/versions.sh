# Versions of the local control plane, sourced by the other scripts.
# KUBE_VERSION matches the k8s.io/client-go the main module requires (v0.35.3 -> v1.35.3).
KUBE_VERSION="v1.35.3"
KUBE_MINOR="35"
# kwok v0.7.0 installs with plain `go install` (its go.mod has no replace directives).
KWOK_VERSION="v0.7.0"

tailgate_k8s_bin_dir() {
  echo "${XDG_CACHE_HOME:-${HOME}/.cache}/tailgate/k8s/${KUBE_VERSION}"
}

# Name of the kwok cluster the scripts manage, and where its kubeconfig is written.
TAILGATE_KWOK_CLUSTER="${TAILGATE_KWOK_CLUSTER:-tailgate}"
tailgate_state_dir() {
  echo "${XDG_CACHE_HOME:-${HOME}/.cache}/tailgate/controlplane"
}
tailgate_kubeconfig() {
  echo "${TAILGATE_TEST_KUBECONFIG:-$(tailgate_state_dir)/kubeconfig}"
}
