package cluster

import (
	"fmt"
	"strings"
)

// Paths inside the benchmark container. The ConfigMap is mounted read-only at configDir;
// workDir is an emptyDir holding the effective config and the report files.
const (
	configDir        = "/etc/tailgate"
	configFile       = configDir + "/config.yml"
	secretDir        = "/etc/tailgate-secrets"
	secretConfigFile = secretDir + "/" + secretConfigKey
	workDir          = "/tailgate"
	runConfigFile    = workDir + "/config.yml"
	reportDir        = workDir + "/reports"
	apiKeyEnv        = "TAILGATE_API_KEY"
	hfTokenEnv       = "HF_TOKEN"
	secretAPIKey     = "api-key"
	secretHFToken    = "hf-token"
	secretConfigKey  = "secrets.yml"
	exitNoSummary    = 3
	exitSecretMerge  = 4
	summaryLCFile    = "summary_lifecycle_metrics.json"
	jobInterval      = "5s"
	benchContainer   = "benchmark"
)

// benchmarkScript is the /bin/sh -c program of the benchmark container. run is the command
// that runs the benchmark with the effective config at runConfigFile, writing its report
// files to reportDir. The script then prints every report file between the TAILGATE_FILE
// markers, so the collector can read them from the pod log, and exits non-zero when the
// benchmark failed or wrote no summary (inference-perf v0.2.0 exits 0 even then).
//
// Secret values never enter the ConfigMap: they arrive as a YAML overlay in a Secret
// volume and are merged into the effective config inside the container (inference-perf's
// image ships Python with PyYAML, which it uses to read its config).
func benchmarkScript(run string, mergeSecrets bool, p scriptPaths) string {
	var b strings.Builder
	fmt.Fprintf(&b, "set -u\nmkdir -p %s\n", p.reports)
	if mergeSecrets {
		fmt.Fprintf(&b, `if [ -s %[1]s ]; then
  python3 - %[2]s %[1]s %[3]s <<'PY' || { echo "tailgate: could not merge the secret values into the config" >&2; exit %[4]d; }
import sys, yaml
def merge(base, extra):
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = v
with open(sys.argv[1]) as f:
    cfg = yaml.safe_load(f) or {}
with open(sys.argv[2]) as f:
    merge(cfg, yaml.safe_load(f) or {})
with open(sys.argv[3], "w") as f:
    yaml.safe_dump(cfg, f, sort_keys=False)
PY
else
  cp %[2]s %[3]s
fi
`, p.secrets, p.config, p.runConfig, exitSecretMerge)
	} else {
		fmt.Fprintf(&b, "cp %s %s\n", p.config, p.runConfig)
	}
	fmt.Fprintf(&b, "(\n%s\n)\nrc=$?\n", run)
	fmt.Fprintf(&b, `for f in %[1]s/*.hlog %[1]s/*.jsonl %[1]s/*.json; do
  [ -f "$f" ] || continue
  n=$(basename "$f")
  echo "%[2]s$n%[4]s"
  cat "$f"
  echo
  echo "%[3]s$n%[4]s"
done
if [ "$rc" -ne 0 ]; then
  echo "tailgate: the benchmark exited with status $rc" >&2
  exit "$rc"
fi
if [ ! -f %[1]s/%[5]s ]; then
  echo "tailgate: the benchmark wrote no %[5]s (no request completed?)" >&2
  exit %[6]d
fi
`, p.reports, fileBeginMarker, fileEndMarker, markerSuffix, summaryLCFile, exitNoSummary)
	return b.String()
}

// scriptPaths are the files the benchmark script reads and writes.
type scriptPaths struct {
	config, secrets, runConfig, reports string
}

// containerPaths are the paths inside the benchmark container.
func containerPaths() scriptPaths {
	return scriptPaths{config: configFile, secrets: secretConfigFile, runConfig: runConfigFile, reports: reportDir}
}

// inferencePerfRun is the command line of inference-perf inside its image.
func inferencePerfRun() string {
	return "inference-perf --config_file " + runConfigFile
}

// nativeRun is the command line of tailgate's native engine inside the tailgate image;
// extra is appended to its arguments (a shard's --shard and --start-at).
//
// The pod records its timeline at jobInterval, which keeps the interval
// histogram logs a 600 s run prints to a few MB of pod log.
//
// In the pod, `tailgate run` also judges the run against its implied promises
// and exits 1 (a promise broke) or 3 (inconclusive) with its report written.
// The host judges the collected report against the real SLA, so those two
// statuses are a measured run here; any other non-zero status is a crash.
func nativeRun(binary, extra string) string {
	return binary + " run --config " + runConfigFile + " --report-dir " + reportDir + " --interval " + jobInterval + extra +
		`; rc=$?; if [ "$rc" -eq 1 ] || [ "$rc" -eq 3 ]; then exit 0; fi; exit "$rc"`
}
