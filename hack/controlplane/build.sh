#!/usr/bin/env bash
# Builds the control-plane binaries the local test cluster runs, once, into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/tailgate/k8s/<kubernetes version>/
# kube-apiserver, kube-controller-manager and kube-scheduler come from the Go module
# k8s.io/kubernetes (through the wrapper module in ./k8sbin, which has its own go.mod);
# kwok and kwokctl come from sigs.k8s.io/kwok. A binary already in the cache is reused.
# Prints the cache directory on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "${here}/versions.sh"

bin_dir="$(tailgate_k8s_bin_dir)"
mkdir -p "${bin_dir}"

build_k8s() {
  local name="$1"
  if [[ -x "${bin_dir}/${name}" ]]; then
    return 0
  fi
  echo "building ${name} ${KUBE_VERSION} (first run only; several CPU-minutes)" >&2
  (cd "${here}/k8sbin" && CGO_ENABLED=0 nice -n "${TAILGATE_BUILD_NICE:-10}" \
    go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${KUBE_MINOR}" \
    -o "${bin_dir}/${name}.tmp" "k8s.io/kubernetes/cmd/${name}")
  mv "${bin_dir}/${name}.tmp" "${bin_dir}/${name}"
}

build_kwok() {
  local name="$1"
  if [[ -x "${bin_dir}/${name}" ]]; then
    return 0
  fi
  echo "building ${name} ${KWOK_VERSION}" >&2
  local tmp
  tmp="$(mktemp -d)"
  CGO_ENABLED=0 GOBIN="${tmp}" GOFLAGS=-trimpath nice -n "${TAILGATE_BUILD_NICE:-10}" \
    go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/${name}@${KWOK_VERSION}"
  mv "${tmp}/${name}" "${bin_dir}/${name}"
  rmdir "${tmp}"
}

for b in kube-apiserver kube-controller-manager kube-scheduler; do
  build_k8s "$b"
done
for b in kwok kwokctl; do
  build_kwok "$b"
done
echo "${bin_dir}"
