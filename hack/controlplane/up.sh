#!/usr/bin/env bash
# Starts a real Kubernetes control plane for the cluster tests, on loopback only:
# kube-apiserver, kube-controller-manager and kube-scheduler built from k8s.io/kubernetes
# (see build.sh), etcd from Debian's etcd-server package, and kwok for simulated nodes,
# all run by kwokctl's binary runtime. Writes a kubeconfig and prints its path on stdout;
# the tests read it from TAILGATE_TEST_KUBECONFIG.
#
#   export TAILGATE_TEST_KUBECONFIG="$(hack/controlplane/up.sh)"
#
# Idempotent: a cluster that is already up is reused. hack/controlplane/down.sh removes it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "${here}/versions.sh"

state_dir="$(tailgate_state_dir)"
kubeconfig="$(tailgate_kubeconfig)"
mkdir -p "${state_dir}" "$(dirname "${kubeconfig}")"
# kwokctl keeps its clusters (pki, logs, pids) under KWOK_WORKDIR.
export KWOK_WORKDIR="${state_dir}/kwok"

if ! command -v etcd >/dev/null 2>&1; then
  echo "installing etcd-server from Debian" >&2
  if [[ "$(id -u)" == 0 ]]; then sudo=""; else sudo="sudo"; fi
  ${sudo} apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive ${sudo} apt-get install -y -qq etcd-server >&2
fi
etcd_bin="$(command -v etcd)"

bin_dir="$("${here}/build.sh")"
kwokctl="${bin_dir}/kwokctl"

# Stages: kwok's own fast node and pod stages, plus its chaos stage that fails a pod's
# container when the pod carries the label pod-container-running-failed.stage.kwok.x-k8s.io=true
# (the tests use it for a Job whose backoff is exhausted). Read from the kwok module source.
kwok_src="$(cd "${here}/k8sbin" && go mod download -json "sigs.k8s.io/kwok@${KWOK_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [[ -z "${kwok_src}" || ! -d "${kwok_src}/kustomize/stage" ]]; then
  echo "cannot find the sigs.k8s.io/kwok@${KWOK_VERSION} source in the module cache" >&2
  exit 1
fi
config="${state_dir}/kwok.yaml"
{
  cat <<YAML
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  enableCRDs:
  - Logs
  - ClusterLogs
# kwok watches with resourceVersion=0. With the WatchList feature on (the default in
# Kubernetes 1.34+), kube-apiserver turns such a watch into a streaming watch list, which
# it cannot serve on Debian's etcd 3.4 (no RequestWatchProgress): kwok's watches then end
# at once, and pod updates arrive up to a minute late. WatchList=false keeps plain watches.
  kubeFeatureGates: WatchList=false
YAML
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml \
    pod/chaos/pod-container-running-failed.yaml; do
    echo "---"
    cat "${kwok_src}/kustomize/stage/${f}"
  done
} > "${config}"

if "${kwokctl}" get clusters 2>/dev/null | grep -qx "${TAILGATE_KWOK_CLUSTER}"; then
  echo "reusing kwok cluster ${TAILGATE_KWOK_CLUSTER}" >&2
  "${kwokctl}" start cluster --name "${TAILGATE_KWOK_CLUSTER}" >&2 || true
else
  echo "creating kwok cluster ${TAILGATE_KWOK_CLUSTER}" >&2
  "${kwokctl}" create cluster --name "${TAILGATE_KWOK_CLUSTER}" \
    --config "${config}" \
    --runtime binary \
    --kube-apiserver-binary "${bin_dir}/kube-apiserver" \
    --kube-controller-manager-binary "${bin_dir}/kube-controller-manager" \
    --kube-scheduler-binary "${bin_dir}/kube-scheduler" \
    --kwok-controller-binary "${bin_dir}/kwok" \
    --etcd-binary "${etcd_bin}" \
    --kube-authorization \
    --wait 3m >&2
  "${kwokctl}" scale node --name "${TAILGATE_KWOK_CLUSTER}" --replicas 2 >&2
fi
# Next to the kubeconfig, for tests of the kwok provider against this cluster:
# kwokctl itself and its work directory (KWOK_WORKDIR).
ln -sf "${kwokctl}" "$(dirname "${kubeconfig}")/kwokctl"
ln -sfn "${KWOK_WORKDIR}" "$(dirname "${kubeconfig}")/kwok-workdir"
"${kwokctl}" get kubeconfig --name "${TAILGATE_KWOK_CLUSTER}" > "${kubeconfig}.tmp"
mv "${kubeconfig}.tmp" "${kubeconfig}"
chmod 600 "${kubeconfig}"
echo "${kubeconfig}"
