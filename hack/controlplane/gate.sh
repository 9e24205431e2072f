#!/usr/bin/env bash
# Runs the production suite with the inference-perf Job runner on the local kwok cluster
# (hack/controlplane/up.sh), twice: kwok serves a real inference-perf report
# (framework/cluster/testdata/one-stage-92rps: one stage at 92.19 req/s) as the benchmark
# pod's log; the suite collects, parses and judges it.
#   1. with gate/v020-sla.yaml (the production promises an inference-perf v0.2.0 report can
#      be judged on: TTFT, corrected TPOT, request latency, errors): the gate must pass;
#   2. with gate/strict-sla.yaml (P99 TTFT < 100 ms; the report has 182 ms): it must fail;
#   3. with a benchmark pod that crashes (kwok's chaos stage; its log is a Python traceback):
#      the Job fails (backoff exhausted) and the gate must fail with the log lines shown;
#   4. with the suite's own SLA (suites/production/sla.yaml), whose ITL promise v0.2.0's
#      per-line timestamps cannot support: the gate must refuse, naming v0.3.0 as the fix.
# Exits non-zero when either verdict is not the expected one. Reports go to
# ${TAILGATE_REPORT_DIR:-reports}/gate-{pass,fail}.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
kubeconfig="${TAILGATE_TEST_KUBECONFIG:?start the control plane first: export TAILGATE_TEST_KUBECONFIG=\$(hack/controlplane/up.sh)}"
out="${TAILGATE_REPORT_DIR:-${root}/reports}"
mkdir -p "${out}"
fixture="${root}/framework/cluster/testdata/one-stage-92rps"
suffix="$(date +%s)"

gate() { # name sla-file(optional) crash(optional)
  local name="$1" sla="${2:-}" crash="${3:-}" ns="tailgate-gate-$1-${suffix}" labels=""
  if [[ -n "${crash}" ]]; then
    labels="pod-container-running-failed.stage.kwok.x-k8s.io=true"
    (cd "${root}" && go run ./hack/controlplane/servelog -kubeconfig "${kubeconfig}" -namespace "${ns}" -text "${crash}") || return 99
  else
    (cd "${root}" && go run ./hack/controlplane/servelog -kubeconfig "${kubeconfig}" -namespace "${ns}" -report-dir "${fixture}") || return 99
  fi
  local rc=0
  (
    cd "${root}" &&
    TAILGATE_RUNNER=inference-perf-job TAILGATE_CLUSTER=kubeconfig TAILGATE_KUBECONFIG="${kubeconfig}" \
    TAILGATE_BENCHMARK_NAMESPACE="${ns}" TAILGATE_BENCHMARK_POD_LABELS="${labels}" TAILGATE_TARGET_URL=http://qwen3-vllm.default:8000 \
    TAILGATE_RATE=92.19 TAILGATE_DURATION=60s TAILGATE_SLA="${sla}" \
    TAILGATE_REPORT_DIR="${out}/gate-${name}" \
    go tool ginkgo run --junit-report=junit.xml --output-dir="${out}/gate-${name}" ./suites/production
  ) 2>&1 | tee "${out}/gate-${name}.log" || rc=$?
  (cd "${root}" && go run ./hack/controlplane/servelog -kubeconfig "${kubeconfig}" -namespace "${ns}" -delete) || true
  return "${rc}"
}

status=0
if gate pass "${here}/gate/v020-sla.yaml"; then
  echo "gate.sh: production suite passed on the fixture report, as expected"
else
  echo "gate.sh: FAIL: the production suite should pass on the fixture report" >&2
  status=1
fi
if gate fail "${here}/gate/strict-sla.yaml"; then
  echo "gate.sh: FAIL: the production suite passed a report that breaks the strict SLA" >&2
  status=1
else
  rc=$?
  if [[ "${rc}" == 99 ]]; then status=1; fi
  echo "gate.sh: production suite failed the strict SLA (P99 TTFT 182 ms > 100 ms), as expected"
fi
crash='Traceback (most recent call last):\n  File "/workspace/inference_perf/main.py", line 88, in main\nOSError: We could not connect to https://huggingface.co to load the tokenizer Qwen/Qwen3-8B'
if gate crash "" "${crash}"; then
  echo "gate.sh: FAIL: the production suite passed although the benchmark Job failed" >&2
  status=1
elif ! grep -q "OSError: We could not connect to https://huggingface.co" "${out}/gate-crash.log"; then
  echo "gate.sh: FAIL: the failed gate does not show the benchmark pod's log lines" >&2
  status=1
else
  echo "gate.sh: production suite failed on the crashed benchmark Job and showed its log, as expected"
fi
if gate itl "${root}/suites/production/sla.yaml"; then
  echo "gate.sh: FAIL: the production suite passed an ITL promise on a v0.2.0 report" >&2
  status=1
elif ! grep -q "inference-perf:v0.3.0" "${out}/gate-itl.log"; then
  echo "gate.sh: FAIL: the refused ITL promise does not say which image fixes it" >&2
  status=1
else
  echo "gate.sh: production suite refused the ITL promise on the v0.2.0 report, as expected"
fi
exit "${status}"
