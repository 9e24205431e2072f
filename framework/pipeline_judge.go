package framework

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// Judge judges rep against every promise of sla, in the SLA's order, and
// returns one verdict per promise. A promise whose matcher refuses to judge
// (an error: missing metric, too few samples, load not delivered, partial
// report) is Inconclusive, and so is a failed "load delivered" promise: a
// generator that fell behind says nothing about the server. cfg, when its
// stages are known, lets a "too few samples" verdict name the stage duration
// that would give enough samples at the measured rate.
func Judge(sla matchers.SLA, rep *report.Report, cfg scenarios.Config) []report.Verdict {
	k := sla.MinTailSamples
	if k <= 0 {
		k = matchers.MinTailSamples
	}
	var out []report.Verdict
	for _, p := range sla.Promises() {
		out = append(out, judgeOne(p, rep, cfg, k))
	}
	return out
}

func judgeOne(p matchers.Promise, rep *report.Report, cfg scenarios.Config, k int) report.Verdict {
	v := report.Verdict{Promise: p.Name}
	ok, err := p.Matcher.Match(rep)
	pm, isPercentile := p.Matcher.(*matchers.PercentileMatcher)
	if isPercentile {
		res := pm.Result()
		v.Metric, v.Percentile, v.Threshold = res.Metric, res.P, res.Threshold
		v.Worst = res.Worst
		if err == nil {
			v.Measured = headroom(res)
		}
	} else if m, has := p.Matcher.(matchers.Measurer); has {
		v.Measured = m.Measured()
	}
	_, isDelivery := p.Matcher.(*matchers.DeliveredLoadMatcher)
	switch {
	case err != nil:
		v.Outcome, v.Message = report.Inconclusive, err.Error()
		if isPercentile {
			v.Message += longerRunHint(pm.Result(), k, cfg, rep)
		}
	case !ok && isDelivery:
		v.Outcome, v.Message = report.Inconclusive, p.Matcher.FailureMessage(rep)
	case !ok:
		v.Outcome, v.Message = report.Fail, p.Matcher.FailureMessage(rep)
	default:
		v.Outcome = report.Pass
	}
	if v.Measured == v.Message {
		v.Measured = ""
	}
	return v
}

// headroom says the measured percentile and how far it is from the bound:
// "218.8ms, 82% under (n=1204)".
func headroom(r matchers.Result) string {
	s := report.FormatSeconds(r.Value)
	if r.Threshold > 0 {
		rel := (r.Threshold - r.Value) / r.Threshold
		side := "under"
		if rel < 0 {
			side, rel = "over", -rel
		}
		s += fmt.Sprintf(", %.0f%% %s", 100*rel, side)
	}
	return s + fmt.Sprintf(" (n=%d)", r.N)
}

// samplesNeeded is the sample-count rule of the matchers: k samples above
// percentile p.
func samplesNeeded(p float64, k int) int64 {
	if p >= 100 {
		return int64(k)
	}
	x := float64(k) * 100 / (100 - p)
	return int64(math.Ceil(x - 1e-6*x))
}

// longerRunHint names the stage duration that gives enough samples when the
// percentile had too few; empty otherwise.
func longerRunHint(r matchers.Result, k int, cfg scenarios.Config, rep *report.Report) string {
	need := samplesNeeded(r.P, k)
	if r.N >= need || r.N <= 0 {
		return "" // judged on its samples, or refused before counting them
	}
	d := longerRun(r.N, need, cfg, rep)
	if d <= 0 { // the stage durations are unknown
		return fmt.Sprintf("; a longer run gives the %d samples %s needs", need, report.PercentileName(r.P))
	}
	return fmt.Sprintf("; at this rate %s needs stages of at least %s (%s=%s) for %d samples", report.PercentileName(r.P), d, EnvDuration, d, need)
}

// longerRun scales the scenario's stage duration from n samples to need, with
// a margin for Poisson noise, rounded up to 10 s; 0 when it cannot tell.
func longerRun(n, need int64, cfg scenarios.Config, rep *report.Report) time.Duration {
	per := stageSeconds(cfg)
	if per <= 0 && rep != nil && len(rep.Stages) > 0 {
		per = rep.Stages[0].SendDuration.Seconds()
	}
	if per <= 0 || n <= 0 {
		return 0
	}
	target := float64(need) + 3*math.Sqrt(float64(need))
	return roundUp10(per * target / float64(n))
}

func stageSeconds(cfg scenarios.Config) float64 {
	if sw := cfg.Load.Sweep; sw != nil {
		return float64(sw.StageDuration)
	}
	if len(cfg.Load.Stages) > 0 && cfg.Load.Type != scenarios.LoadConcurrent {
		return float64(cfg.Load.Stages[0].Duration)
	}
	return 0
}

func roundUp10(secs float64) time.Duration {
	return time.Duration(math.Ceil(secs/10)*10) * time.Second
}

// Outcome combines verdicts: Fail when any promise broke, else Inconclusive
// when any could not be judged, else Pass. No verdict at all is Inconclusive.
func Outcome(vs []report.Verdict) report.Outcome {
	out := report.Pass
	if len(vs) == 0 {
		return report.Inconclusive
	}
	for _, v := range vs {
		switch v.Outcome {
		case report.Fail:
			return report.Fail
		case report.Inconclusive:
			out = report.Inconclusive
		case report.Pass:
		default:
			out = report.Inconclusive
		}
	}
	return out
}

// Exit codes of a gate: tailgate run returns them, and make gate maps a
// suite's outcome onto them.
const (
	ExitPass = 0
	// ExitFail means a promise broke: the release is worse than its SLA.
	ExitFail = 1
	// ExitUsage means the command line, a setting or an input file is wrong.
	ExitUsage = 2
	// ExitInconclusive means the evidence could not decide (load not
	// delivered, too few samples, partial run, evidence not saved); retrying
	// on a quieter machine or with a longer run may decide it.
	ExitInconclusive = 3
)

// ExitCode maps an outcome to its exit code.
func ExitCode(o report.Outcome) int {
	switch o {
	case report.Pass:
		return ExitPass
	case report.Fail:
		return ExitFail
	}
	return ExitInconclusive
}

// Advice lists what to change so that an inconclusive run can be judged,
// from the messages of its inconclusive verdicts.
func Advice(vs []report.Verdict) []string {
	var out []string
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	for _, v := range vs {
		if v.Outcome != report.Inconclusive {
			continue
		}
		m := v.Message
		switch {
		case strings.Contains(m, "partial"):
			add("the run was cut short: let it finish (no Ctrl-C, a Ginkgo --timeout above the run's length)")
		case strings.Contains(m, "load not delivered") || strings.Contains(m, "schedule delay") || strings.Contains(m, "in-flight limit"):
			add("the load generator fell behind its schedule: run on a quieter runner, give it more CPU, or split the load across generator shards")
		}
		if i := strings.Index(m, "needs stages of at least "); i >= 0 {
			add("a longer run: " + strings.TrimSuffix(m[i:], "."))
		} else if strings.Contains(m, "too few samples") {
			add("a longer run: the percentile needs more samples than this run produced")
		}
		if strings.Contains(m, evidenceNotSaved) {
			add("the evidence could not be saved: free disk space or point " + EnvReportDir + " at a writable directory")
		}
	}
	return out
}
