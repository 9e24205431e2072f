package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// Preset names.
const (
	PresetBaseline   = "baseline"
	PresetSaturation = "saturation"
	PresetSweep      = "sweep"
	PresetProduction = "production"
)

// PresetNames lists the preset names in a stable order.
func PresetNames() []string {
	return []string{PresetBaseline, PresetSaturation, PresetSweep, PresetProduction}
}

// Description is the chart's one-line description of a preset ("" for other names).
func Description(name string) string {
	switch name {
	case PresetBaseline:
		return "Establish optimal performance with zero contention"
	case PresetSaturation:
		return "Determine maximum sustainable throughput"
	case PresetSweep:
		return "Automated capacity discovery with intelligent staging"
	case PresetProduction:
		return "Realistic traffic with variable sizes and bursty arrivals"
	}
	return ""
}

// Preset returns the preset with the given name.
func Preset(name string) (Config, error) {
	switch name {
	case PresetBaseline:
		return Baseline(), nil
	case PresetSaturation:
		return Saturation(), nil
	case PresetSweep:
		return Sweep(), nil
	case PresetProduction:
		return Production(), nil
	}
	names := PresetNames()
	sort.Strings(names)
	return Config{}, fmt.Errorf("scenario %q: no such preset; use one of %s", name, strings.Join(names, ", "))
}

// Baseline is Scenario 1: fixed 512-token prompts and 128-token outputs at 1 req/s for
// 300 s, 4 workers — the latency floor with zero contention.
func Baseline() Config {
	return chartScenario(PresetBaseline, fixedLen(512), fixedLen(128), LoadConstant, 4,
		[]Stage{{Rate: 1, Duration: 300}})
}

// Saturation is Scenario 2: prompts N(512, 128) in [128, 2048], outputs N(256, 64) in
// [32, 512], constant load at 5, 10, 20 and 40 req/s for 180 s each, 8 workers.
func Saturation() Config {
	return chartScenario(PresetSaturation, normalLen(512, 128, 128, 2048), normalLen(256, 64, 32, 512), LoadConstant, 8,
		[]Stage{{Rate: 5, Duration: 180}, {Rate: 10, Duration: 180}, {Rate: 20, Duration: 180}, {Rate: 40, Duration: 180}})
}

// Sweep is Scenario 3: Saturation's lengths, no fixed stages, and a geometric sweep
// (2000-request probe, 60 s timeout, 5 stages of 180 s, saturation at the 95th
// percentile of the probe's burn-down rates), 8 workers.
func Sweep() Config {
	c := chartScenario(PresetSweep, normalLen(512, 128, 128, 2048), normalLen(256, 64, 32, 512), LoadConstant, 8, nil)
	c.Load.Sweep = &SweepConfig{Type: SweepGeometric, NumRequests: 2000, Timeout: 60, NumStages: 5,
		StageDuration: 180, SaturationPercentile: 95}
	return c
}

// Production is Scenario 4, the release gate: prompts N(1024, 512) in [128, 4096],
// outputs N(512, 256) in [50, 2048], Poisson arrivals at 15 req/s for 600 s, 8 workers.
func Production() Config {
	return chartScenario(PresetProduction, normalLen(1024, 512, 128, 4096), normalLen(512, 256, 50, 2048), LoadPoisson, 8,
		[]Stage{{Rate: 15, Duration: 600}})
}

// Chart-wide defaults (benchmark.target, benchmark.api).
const (
	chartServerType    = ServerVLLM
	chartModelName     = "qwen3-8b"
	chartBaseURL       = "http://qwen3-vllm.default:8000"
	chartTokenizerPath = "Qwen/Qwen3-8B"
	chartS3Bucket      = "inference-perf-results"
	chartS3PathPrefix  = "benchmark-results"
)

// chartBase is what the chart renders for every scenario, before the scenario's data and
// load.
func chartBase(name string) Config {
	c := Default()
	c.Name = name
	c.API = APIConfig{Type: APICompletion, Streaming: true}
	c.Data.Type = DataSynthetic
	c.Server = &ServerConfig{Type: chartServerType, ModelName: chartModelName, BaseURL: chartBaseURL, IgnoreEOS: ptr(true)}
	c.Tokenizer = &TokenizerConfig{PretrainedModelNameOrPath: chartTokenizerPath}
	return c
}

func chartScenario(name string, in, out Distribution, lt LoadType, workers int, stages []Stage) Config {
	c := chartBase(name)
	c.Data.InputDistribution = &in
	c.Data.OutputDistribution = &out
	c.Load.Type = lt
	c.Load.NumWorkers = workers
	c.Load.Stages = stages
	return c
}

func normalLen(mean, sd float64, lo, hi int) Distribution {
	return Distribution{Min: lo, Max: hi, Mean: mean, StdDev: sd, Type: DistNormal}
}

func fixedLen(n int) Distribution { return normalLen(float64(n), 0, n, n) }
