#!/usr/bin/env bash
# Runs the named gate suites (production, baseline, saturation, sweep) one after another,
# every one of them even when an earlier one fails, and exits with the gate's exit code:
#   0  every promise of every suite holds
#   1  a promise broke (the release is worse than its SLA), or a suite failed to run
#   3  inconclusive: a suite could not be judged (load not delivered, too few samples,
#      partial run, evidence not saved) and none broke
# Ginkgo exits 1 for all of these, so the outcome is read from each suite's verdict.json.
# TAILGATE_RETRY_INCONCLUSIVE=N reruns an inconclusive suite up to N times (CI sets 1);
# a failed suite is never rerun. GINKGO_FLAGS adds flags to `ginkgo run`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# verdict_file SUITE: where the suite's verdict.json goes (TAILGATE_REPORT_DIR, relative
# to the suite's directory, where Ginkgo runs it; tailgate-report by default).
verdict_file() {
  local root="${TAILGATE_REPORT_DIR:-tailgate-report}"
  [[ $root == /* ]] || root="suites/$1/$root"
  echo "$root/$1/verdict.json"
}

# outcome SUITE RC STAMP: the gate exit code of one suite run.
outcome() {
  local f code
  f="$(verdict_file "$1")"
  [[ $2 == 0 ]] && { echo 0; return; }
  if [[ -f $f && $f -nt $3 ]]; then
    code="$(grep -o '"exit_code": *[0-9]*' "$f" | grep -o '[0-9]*$')"
    [[ $code == 3 ]] && { echo 3; return; }
  fi
  echo 1
}

worst=0
for suite in "$@"; do
  tries=$((1 + ${TAILGATE_RETRY_INCONCLUSIVE:-0}))
  for ((try = 1; try <= tries; try++)); do
    stamp="$(mktemp)"
    # shellcheck disable=SC2086 # GINKGO_FLAGS is a list of flags
    go tool ginkgo run ${GINKGO_FLAGS:-} "./suites/$suite"
    code="$(outcome "$suite" "$?" "$stamp")"
    rm -f "$stamp"
    if [[ $code == 3 && $try -lt $tries ]]; then
      echo "tailgate: the $suite gate was inconclusive; retrying once more ($((try + 1)) of $tries)" >&2
      continue
    fi
    break
  done
  echo "tailgate: $suite gate exit code $code (0 pass, 1 fail, 3 inconclusive)" >&2
  if [[ $code == 1 ]]; then
    worst=1
  elif [[ $code == 3 && $worst == 0 ]]; then
    worst=3
  fi
done
exit "$worst"
