package framework

import (
	"fmt"
	"math"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// JudgeableDuration is the shortest stage duration at which cfg gives every
// percentile promise of sla the samples its sample-count rule needs, with a
// margin of three standard deviations of Poisson noise. Metrics are judged on
// the summary, which pools the stages, so the stages' rates add up. It is 0
// when the load has no fixed rates (a sweep, closed-loop stages).
func JudgeableDuration(sla matchers.SLA, cfg scenarios.Config) time.Duration {
	if cfg.Load.Sweep != nil || cfg.Load.Type == scenarios.LoadConcurrent || cfg.Load.Type == scenarios.LoadTraceSessionReplay {
		return 0
	}
	var rate float64
	for _, s := range cfg.Load.Stages {
		rate += s.Rate
	}
	if !(rate > 0) {
		return 0
	}
	k := sla.MinTailSamples
	if k <= 0 {
		k = matchers.MinTailSamples
	}
	var longest float64
	for _, l := range sla.Latency {
		requests := float64(samplesNeeded(l.P, k)) / samplesPerRequest(l.Metric, cfg)
		requests += 3 * math.Sqrt(requests)
		longest = math.Max(longest, requests/rate)
	}
	if longest == 0 {
		return 0
	}
	return roundUp10(longest)
}

// samplesPerRequest is how many samples of m one request gives: one, or for
// inter-token latency one per gap between the requested output tokens.
func samplesPerRequest(m report.Metric, cfg scenarios.Config) float64 {
	if m != report.ITL {
		return 1
	}
	d := cfg.Data.OutputDistribution
	if d == nil || d.Min <= 1 {
		return 1
	}
	return float64(d.Min - 1)
}

// judgeableSettings lengthens a duration override that is too short for the
// SLA to judge to the shortest one that is long enough, and says so; a run
// that cannot be judged would waste its minutes. Without an override the
// scenario's own durations stand.
func judgeableSettings(scenario scenarios.Config, s Settings, sla matchers.SLA) (Settings, string) {
	if s.Duration <= 0 {
		return s, ""
	}
	need := JudgeableDuration(sla, ApplySettings(scenario, s))
	if s.Duration >= need {
		return s, ""
	}
	note := fmt.Sprintf("%s=%s is too short for this SLA's percentiles at this rate; running stages of %s, the shortest it can judge",
		EnvDuration, s.Duration, need)
	s.Duration = need
	return s, note
}

// sweepRateNote says what a rate override does to a sweep: the sweep gives
// way to stages at that rate (scenarios.Config.WithRate), since a fixed rate
// and a search for the saturation rate exclude each other. It is empty when
// the scenario has no sweep or the settings no rate.
func sweepRateNote(scenario scenarios.Config, s Settings) string {
	if s.Rate <= 0 || scenario.Load.Sweep == nil {
		return ""
	}
	return fmt.Sprintf("%s=%g replaces the sweep: running %s instead of probing for the saturation rate",
		EnvRate, s.Rate, ApplySettings(scenario, s).LoadSummary())
}
