// Package calibration holds a simulated vLLM profile (fixtures/mockvllm) against a
// real inference-perf run: Calibrate rebuilds the run's workload from its report and
// config, replays it through the simulator in virtual time and lines both up stage by
// stage against fixed acceptance bars (Result.Check, Result.WriteTable); FitNoise
// searches the simulator's tail model for the constants that match the run best and
// prints them as fixtures/mockvllm/fitted.go expects them (NoiseFit.WriteGo).
//
// It lives outside fixtures/mockvllm so the simulator imports nothing of the product
// it tests: this package reads reports, the simulator only serves.
package calibration
