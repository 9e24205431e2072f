package report

import (
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"
)

// ErrNoHistograms is returned (wrapped) by Merge when a report holds
// percentiles only, as inference-perf's files do: percentiles cannot be
// merged, only the histograms behind them.
var ErrNoHistograms = errors.New("percentiles cannot be merged; merging needs the interval histogram logs (.hlog) the native engine writes")

// Merge combines reports of the same scenario (shards of one run, or
// repeated runs) into one: every histogram is merged exactly, and counts,
// failures by label, rates, throughput and the timeline are recomputed.
// Reports whose runs overlap in time are shards: their windows are united
// and their requested rates add up. Otherwise they are repetitions: windows
// add up and requested rates must agree. Timelines are aligned on each
// stage's own start. A report with a percentile-only distribution, or
// reports of different scenarios, are refused. Reports that carry a Shard
// must be every shard of one run exactly once (see ErrNotShards); the merge
// keeps each shard's delivery evidence in Shards, so the delivery check
// judges every shard on its own.
func Merge(reports ...*Report) (*Report, error) {
	return merge(reports, false)
}

// MergeShardsPresent merges the shards of one run that completed, as Merge
// does, when some shards' reports are missing (their generators failed): the
// merge is marked partial, naming the missing shards, so no gate passes on it.
// Every other refusal of Merge stands.
func MergeShardsPresent(reports ...*Report) (*Report, error) {
	return merge(reports, true)
}

func merge(reports []*Report, allowMissing bool) (*Report, error) {
	if len(reports) == 0 {
		return nil, errors.New("merge: no reports given")
	}
	for i, r := range reports {
		if r == nil {
			return nil, fmt.Errorf("merge: report %d is nil", i+1)
		}
	}
	for i, r := range reports {
		for _, s := range append(append([]Stage(nil), r.Stages...), r.Summary) {
			if err := histogramsOnly(i, s); err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
		}
	}
	sharded, missing, err := checkShards(reports, allowMissing)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if err := sameScenario(reports); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	shards := sharded || overlapping(reports)
	out := &Report{Source: "merge of " + sources(reports)}
	if sharded {
		out.Shards = mergeShardParts(reports)
	}
	for i := range reports[0].Stages {
		stages := make([]Stage, len(reports))
		for j, r := range reports {
			stages[j] = r.Stages[i]
		}
		s, err := mergeStages(stages, shards, reports)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		out.Stages = append(out.Stages, s)
	}
	summaries := make([]Stage, len(reports))
	for j, r := range reports {
		summaries[j] = r.Summary
	}
	s, err := mergeStages(summaries, shards, reports)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	out.Summary = s
	out.Experiment = commonExperiment(reports)
	var reasons []string
	for j, r := range reports {
		if r.Partial {
			out.Partial = true
			reasons = append(reasons, fmt.Sprintf("report %d: %s", j+1, r.PartialReason))
		}
	}
	if missing != "" {
		out.Partial = true
		reasons = append(reasons, fmt.Sprintf("shard %s of %d did not report; the merge holds the other shards only", missing, reports[0].Shard.Count))
	}
	out.PartialReason = strings.Join(reasons, "; ")
	return out, nil
}

func sources(rs []*Report) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Source
		if names[i] == "" {
			names[i] = fmt.Sprintf("report %d", i+1)
		}
	}
	return strings.Join(names, ", ")
}

// sameScenario refuses reports that cannot be one experiment: a different
// number of stages, different concurrency levels or goodput constraints, or
// different timeline intervals.
func sameScenario(rs []*Report) error {
	first := rs[0]
	for j, r := range rs[1:] {
		n := j + 2
		if len(r.Stages) != len(first.Stages) {
			return fmt.Errorf("report %d has %d stages and report 1 has %d: not the same scenario", n, len(r.Stages), len(first.Stages))
		}
		for i, s := range r.Stages {
			f := first.Stages[i]
			if s.Concurrency != f.Concurrency {
				return fmt.Errorf("%s: report %d ran at concurrency %d and report 1 at %d: not the same scenario", s.Name(), n, s.Concurrency, f.Concurrency)
			}
			if (s.Timeline == nil) != (f.Timeline == nil) || s.Timeline != nil && s.Timeline.Interval != f.Timeline.Interval {
				return fmt.Errorf("%s: report %d and report 1 have different timeline intervals", s.Name(), n)
			}
			if !sameConstraints(s.Goodput, f.Goodput) {
				return fmt.Errorf("%s: report %d and report 1 judged goodput against different constraints: not the same scenario", s.Name(), n)
			}
		}
	}
	return nil
}

func sameConstraints(a, b *Goodput) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return maps.Equal(a.Constraints, b.Constraints)
}

// overlapping reports whether the runs ran at the same time (shards of one
// run): every pair of first-stage windows intersects.
func overlapping(rs []*Report) bool {
	if len(rs) < 2 {
		return false
	}
	type window struct{ lo, hi time.Time }
	var ws []window
	for _, r := range rs {
		if len(r.Stages) == 0 || r.Stages[0].Timeline == nil || r.Stages[0].Timeline.Start.IsZero() {
			return false
		}
		s := r.Stages[0]
		lo := s.Timeline.Start
		ws = append(ws, window{lo, lo.Add(max(s.Duration, timelineLength(s.Timeline)))})
	}
	for i := range ws {
		for j := i + 1; j < len(ws); j++ {
			if ws[i].hi.Before(ws[j].lo) || ws[j].hi.Before(ws[i].lo) {
				return false
			}
		}
	}
	return true
}

func timelineLength(t *Timeline) time.Duration {
	if len(t.Intervals) == 0 {
		return 0
	}
	return t.Intervals[len(t.Intervals)-1].End()
}

// mergeStages merges one stage (or the summary) across reports.
func mergeStages(ss []Stage, shards bool, rs []*Report) (Stage, error) {
	out := Stage{ID: ss[0].ID, Concurrency: ss[0].Concurrency, Schema: ss[0].Schema, FailuresByLabel: map[string]FailureLabel{}}
	dists, err := mergeDistributions(ss)
	if err != nil {
		return out, err
	}
	out.Distributions = dists
	for _, s := range ss {
		out.Partial = out.Partial || s.Partial
		out.Requests += s.Requests
		out.Successes += s.Successes
		out.Failures += s.Failures
		out.TokenCountMismatches += s.TokenCountMismatches
		out.PromptTokensTotal += s.PromptTokensTotal
		out.OutputTokensTotal += s.OutputTokensTotal
		out.CachedPromptTokens += s.CachedPromptTokens
		for l, fl := range s.FailuresByLabel {
			m := out.FailuresByLabel[l]
			m.Count += fl.Count
			for _, msg := range fl.Messages {
				if len(m.Messages) < 100 && !containsString(m.Messages, msg) {
					m.Messages = append(m.Messages, msg)
				}
			}
			out.FailuresByLabel[l] = m
		}
	}
	if err := mergeWindows(&out, ss, shards); err != nil {
		return out, err
	}
	out.Throughput = throughputOf(out)
	out.Goodput = mergeGoodput(ss, out.Duration)
	out.Generator = mergeGenerators(ss, shards)
	t, err := mergeTimelines(ss)
	if err != nil {
		return out, fmt.Errorf("%s: %w", out.Name(), err)
	}
	out.Timeline = t
	return out, nil
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// mergeDistributions merges each metric's histograms; a percentile-only
// distribution is refused with ErrNoHistograms.
func mergeDistributions(ss []Stage) (map[Metric]Distribution, error) {
	merged := map[Metric]*Histogram{}
	for j, s := range ss {
		if err := histogramsOnly(j, s); err != nil {
			return nil, err
		}
		for _, m := range sortedMetrics(s.Distributions) {
			h, ok := s.Distributions[m].(*Histogram)
			if !ok || h.Count() == 0 {
				continue
			}
			if merged[m] == nil {
				merged[m] = h.Clone()
				continue
			}
			merged[m].Merge(h)
		}
	}
	out := make(map[Metric]Distribution, len(merged))
	for m, h := range merged {
		out[m] = h
	}
	return out, nil
}

// histogramsOnly refuses a stage of report i (0-based) with a percentile-only distribution.
func histogramsOnly(i int, s Stage) error {
	for _, m := range sortedMetrics(s.Distributions) {
		d := s.Distributions[m]
		if d == nil || d.Count() == 0 {
			continue
		}
		if _, ok := d.(*Histogram); !ok {
			return fmt.Errorf("report %d, %s, %s holds percentiles only (%s): %w",
				i+1, s.Name(), m, percentileList(d.Exact()), ErrNoHistograms)
		}
	}
	return nil
}

// mergeWindows recomputes the stage windows and rates: shards share one
// window (earliest start to latest end, from the timelines; the longest
// window where there is none, as for the summary) and add their requested
// rates; repetitions add their windows and must have asked for the same rate.
func mergeWindows(out *Stage, ss []Stage, shards bool) error {
	var lo, hi time.Time
	for i, s := range ss {
		if !shards {
			if s.RequestedRate != ss[0].RequestedRate {
				return fmt.Errorf("%s: report %d asked for %g req/s and report 1 for %g req/s: not the same scenario", s.Name(), i+1, s.RequestedRate, ss[0].RequestedRate)
			}
			out.RequestedRate = s.RequestedRate
			out.Duration += s.Duration
			out.SendDuration += s.SendDuration
			continue
		}
		out.RequestedRate += s.RequestedRate
		out.SendDuration = max(out.SendDuration, s.SendDuration)
		out.Duration = max(out.Duration, s.Duration)
		if s.Timeline != nil {
			start := s.Timeline.Start
			end := start.Add(max(s.Duration, timelineLength(s.Timeline)))
			if lo.IsZero() || start.Before(lo) {
				lo = start
			}
			if end.After(hi) {
				hi = end
			}
		}
	}
	if !lo.IsZero() {
		out.Duration = max(out.Duration, hi.Sub(lo))
	}
	if out.SendDuration > 0 && out.ID >= 0 {
		out.AchievedRate = float64(out.Requests) / out.SendDuration.Seconds()
	}
	if shards && out.ID >= 0 {
		out.AchievedRate = shardsAchieved(ss)
	}
	return nil
}

// shardsAchieved is the rate shards sending at the same time achieved
// together: the sum of each one's own achieved rate. Requests over the
// longest shard's send window would understate it: independent Poisson
// shards plan a fixed count each, so their windows differ by chance (about
// 3% at 1,250 sends each) and the longest is the longest by chance. 0 when a
// shard's rate is unknown.
func shardsAchieved(ss []Stage) float64 {
	var sum float64
	for _, s := range ss {
		if !(s.AchievedRate > 0) {
			return 0
		}
		sum += s.AchievedRate
	}
	return sum
}

func throughputOf(s Stage) Throughput {
	t := s.Duration.Seconds()
	if t <= 0 {
		return Throughput{}
	}
	return Throughput{
		InputTokensPerSec:  float64(s.PromptTokensTotal) / t,
		OutputTokensPerSec: float64(s.OutputTokensTotal) / t,
		TotalTokensPerSec:  float64(s.PromptTokensTotal+s.OutputTokensTotal) / t,
		RequestsPerSec:     float64(s.Successes) / t,
	}
}

// mergeGoodput adds good and judged requests; attainment is weighted by
// the requests each report judged, token goodput by each report's window.
func mergeGoodput(ss []Stage, window time.Duration) *Goodput {
	var out *Goodput
	var goodTokens float64
	for _, s := range ss {
		g := s.Goodput
		if g == nil {
			continue
		}
		if out == nil {
			out = &Goodput{Attainment: map[Metric]float64{}, Constraints: maps.Clone(g.Constraints)}
		}
		out.GoodRequests += g.GoodRequests
		out.TotalRequests += g.TotalRequests
		for m, a := range g.Attainment {
			out.Attainment[m] += a * float64(g.TotalRequests)
		}
		goodTokens += g.TokenGoodput * s.Duration.Seconds()
	}
	if out == nil {
		return nil
	}
	for m := range out.Attainment {
		out.Attainment[m] = safeDiv(out.Attainment[m], float64(out.TotalRequests))
	}
	out.Percentage = 100 * safeDiv(float64(out.GoodRequests), float64(out.TotalRequests))
	out.RequestGoodput = safeDiv(float64(out.GoodRequests), window.Seconds())
	out.TokenGoodput = safeDiv(goodTokens, window.Seconds())
	return out
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func mergeGenerators(ss []Stage, shards bool) *GeneratorStats {
	var out *GeneratorStats
	for _, s := range ss {
		g := s.Generator
		if g == nil {
			continue
		}
		if out == nil {
			out = &GeneratorStats{Engine: g.Engine}
		}
		out.Scheduled += g.Scheduled
		out.Sent += g.Sent
		out.InFlightLimitHits += g.InFlightLimitHits
		if shards {
			out.Workers += g.Workers
			out.InFlightLimit += g.InFlightLimit
			out.MaxInFlight += g.MaxInFlight // an upper bound: shards peak at different moments
			continue
		}
		out.Workers = max(out.Workers, g.Workers)
		out.InFlightLimit = max(out.InFlightLimit, g.InFlightLimit)
		out.MaxInFlight = max(out.MaxInFlight, g.MaxInFlight)
	}
	return out
}

// mergeTimelines adds the stages' timelines interval by interval, aligned on
// each stage's own start; nil when no stage has one.
func mergeTimelines(ss []Stage) (*Timeline, error) {
	var out *Timeline
	for _, s := range ss {
		t := s.Timeline
		if t == nil {
			continue
		}
		if out == nil {
			out = &Timeline{Start: t.Start, Interval: t.Interval}
		}
		if t.Start.Before(out.Start) {
			out.Start = t.Start
		}
		for i, iv := range t.Intervals {
			if i == len(out.Intervals) {
				out.Intervals = append(out.Intervals, Interval{Start: iv.Start, Length: iv.Length})
			}
			if err := out.Intervals[i].add(iv); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// add adds o's counters and histograms to iv.
func (iv *Interval) add(o Interval) error {
	iv.Length = max(iv.Length, o.Length)
	iv.Sent += o.Sent
	iv.Completed += o.Completed
	iv.Failed += o.Failed
	iv.InFlight += o.InFlight
	iv.OutputTokens += o.OutputTokens
	for l, n := range o.FailuresByLabel {
		if iv.FailuresByLabel == nil {
			iv.FailuresByLabel = map[string]int64{}
		}
		iv.FailuresByLabel[l] += n
	}
	ms := make([]Metric, 0, len(o.hist))
	for m := range o.hist {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i] < ms[j] })
	for _, m := range ms {
		h, err := o.Histogram(m)
		if err != nil {
			return err
		}
		if mine, err := iv.Histogram(m); err != nil {
			return err
		} else if mine != nil {
			mine.Merge(h)
			h = mine
		}
		if err := iv.SetHistogram(m, h); err != nil {
			return err
		}
	}
	return nil
}

// commonExperiment is the experiment every report records, or nil when one
// records none or two differ: a merge is one experiment only when all agree.
func commonExperiment(rs []*Report) *Experiment {
	first := rs[0].Experiment
	for _, r := range rs {
		if r.Experiment == nil || first == nil || len(first.Differences(*r.Experiment)) > 0 {
			return nil
		}
	}
	e := *first
	return &e
}
