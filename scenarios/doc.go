// Package scenarios is the inference-perf configuration as typed Go: the same YAML keys,
// the same defaults and the same validation rules, so a scenario renders to the config.yml
// inference-perf reads, and an inference-perf config file or an AI-on-EKS benchmark-charts
// values file loads into one.
//
// # Loading
//
// Parse and LoadFile read a config file the way inference-perf does: the file is merged
// over the defaults (mappings key by key, lists replaced), a section that appears gets its
// own defaults (a distribution gets std_dev 200 and type normal), and the result is
// validated. Unknown keys are errors naming the key, its dotted path and its line, with a
// suggestion for a likely typo; only circuit breakers ignore unknown keys, as in
// inference-perf. Wrong types, fractions where inference-perf wants integers, min > max,
// non-positive rates and durations, empty stages without a sweep, concurrent-stage fields
// on a constant load and the start-up checks of inference-perf's main (a synthetic
// generator without distributions, an unknown circuit breaker name, …) are errors that
// name the field and the fix.
// The checks the SLA file shares (one document, dotted key paths, unknown and repeated
// keys, whole numbers) come from internal/strictyaml, so both files are refused in the
// same words.
//
// Three inference-perf defaults depend on the host or the clock. They are kept as markers
// so a Config is deterministic and renders back to the same meaning:
//   - load.num_workers 0 means unset: inference-perf then starts one worker per CPU of the
//     host it runs on (Render omits the key; LoadConfig.Workers resolves it locally). An
//     explicit num_workers: 0 (inference-perf's in-process mode) is refused;
//   - load.base_seed 0 means unset: inference-perf then seeds from the clock;
//   - storage paths default to "reports-{timestamp}", which inference-perf itself
//     expands to the run's start time.
//
// A variance is kept as declared (std_dev 0 plus variance) instead of being folded into
// std_dev as inference-perf does after validation, so a rendered config reads back;
// Distribution.EffectiveStdDev gives the value used for sampling.
//
// # Rendering
//
// Render writes a key when its value differs from inference-perf's default, plus the keys
// that say what the scenario is (api.type and streaming, data.type, load.type, the server's
// type, base_url and ignore_eos, the four bounds of each distribution, every sweep key).
// The output is short, stable (the tests keep golden files) and lossless: Parse(Render(c))
// equals c. Render keeps secrets, for writing a Secret or ConfigMap; RenderRedacted,
// String, fmt verbs, JSON, slog and Gomega messages all show "REDACTED" instead of
// server.api_key, tokenizer.token, secret-looking api.headers and URL passwords.
//
// # Presets
//
// Baseline, Saturation, Sweep and Production are the four scenarios of the AI-on-EKS
// benchmark chart (awslabs/ai-on-eks-charts, charts/benchmark-charts/values.yaml) with
// the chart's values exactly: server vllm "qwen3-8b" at http://qwen3-vllm.default:8000,
// ignore_eos, tokenizer Qwen/Qwen3-8B, streaming completions, synthetic prompts with
// normal lengths clipped to [min, max]. Where the guide's prose and the chart differ, the
// presets follow the chart, because the chart is what renders the config inference-perf
// runs:
//   - model_name is the chart's "qwen3-8b"; a vLLM serving the HF id needs
//     --served-model-name qwen3-8b, or override the target (WithTarget, ApplyValues);
//   - no storage.simple_storage_service: the chart's bucket belongs to the user's account
//     and its path ends in 20 random letters on every render. A values file that sets
//     benchmark.storage.s3 adds it (see ApplyValues), without the random letters;
//   - the docs' storage.s3.path and storage.s3.enabled are not chart keys and are refused;
//   - keys the chart never sets (worker_max_concurrency, interval, report options) keep
//     inference-perf's defaults.
//
// ApplyValues and FromValues overlay a values file the way Helm merges it over the chart's
// defaults, so the guide's custom-production.yaml (input 2048/1024/256/8192, poisson,
// 20 req/s for 900 s) yields exactly that on top of Production.
//
// # Runner helpers
//
// WithDuration and WithRate override every stage (TAILGATE_DURATION, TAILGATE_RATE),
// WithTarget aims a copy at another server, TotalRequests and PlannedDuration size a run,
// Clone copies deeply; every With method returns a copy and leaves its receiver alone.
package scenarios
