#!/usr/bin/env bash
# Stops and removes the kwok cluster started by up.sh. The built binaries stay cached.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "${here}/versions.sh"

export KWOK_WORKDIR="$(tailgate_state_dir)/kwok"
kwokctl="$(tailgate_k8s_bin_dir)/kwokctl"
if [[ -x "${kwokctl}" ]] && "${kwokctl}" get clusters 2>/dev/null | grep -qx "${TAILGATE_KWOK_CLUSTER}"; then
  "${kwokctl}" delete cluster --name "${TAILGATE_KWOK_CLUSTER}" >&2
fi
rm -f "$(tailgate_kubeconfig)"
