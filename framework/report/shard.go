package report

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Shard identifies one report of a sharded run: shard Index of Count
// generators that each sent a disjoint share of one run's load.
type Shard struct {
	Index, Count int
	// RunID is shared by every shard of the run, and by no other run.
	RunID string
	// Scenario names the scenario the shards ran.
	Scenario string
	// StartAt is the shared instant the first stage's lead-in began.
	StartAt time.Time
	// Lateness is how long after StartAt this shard was ready to send (0 when
	// it was ready before); the delivery check judges it.
	Lateness time.Duration
}

// Name spells the shard as "shard I of N".
func (s Shard) Name() string { return fmt.Sprintf("shard %d of %d", s.Index, s.Count) }

// ShardPart is one shard's own delivery evidence kept in a merge of shards,
// so a shard that fell behind fails the merged run's delivery check by name
// even when the other shards' samples would hide its lag in the merged
// histograms.
type ShardPart struct {
	Shard Shard
	// Stages hold each stage's rates, counts, generator self-checks and
	// schedule delay (P50 and P99 only).
	Stages        []Stage
	Partial       bool
	PartialReason string
}

// deliveryPercentiles are the schedule delay percentiles a ShardPart keeps.
var deliveryPercentiles = []float64{50, 99}

// shardPart keeps what judging r's delivery needs.
func shardPart(r *Report) ShardPart {
	p := ShardPart{Shard: *r.Shard, Partial: r.Partial, PartialReason: r.PartialReason}
	for _, s := range r.Stages {
		p.Stages = append(p.Stages, deliveryStage(s))
	}
	return p
}

// deliveryStage strips s to its delivery evidence.
func deliveryStage(s Stage) Stage {
	out := Stage{
		ID: s.ID, Requests: s.Requests, Partial: s.Partial, Concurrency: s.Concurrency,
		RequestedRate: s.RequestedRate, AchievedRate: s.AchievedRate, SendDuration: s.SendDuration,
	}
	if s.Generator != nil {
		g := *s.Generator
		out.Generator = &g
	}
	if d, ok := s.Distribution(ScheduleDelay); ok {
		out.Distributions = map[Metric]Distribution{ScheduleDelay: StatsOf(d, deliveryPercentiles)}
	}
	return out
}

// ErrNotShards is returned (wrapped) by Merge when reports that claim to be
// shards are not the shards of one run.
var ErrNotShards = errors.New("not the shards of one run")

// checkShards refuses a set of reports that are not every shard of one run
// exactly once: all or none must be shards, of the same run id, scenario and
// shard count, with indices 0…N-1 each once. It reports whether they are
// shards; with allowMissing, absent indices are returned instead of refused.
func checkShards(rs []*Report, allowMissing bool) (sharded bool, missing string, err error) {
	var with []int
	for i, r := range rs {
		if r.Shard != nil {
			with = append(with, i)
		}
	}
	if len(with) == 0 {
		return false, "", nil
	}
	if len(with) < len(rs) {
		return false, "", fmt.Errorf("report %d is %s of run %s but report %d is no shard: %w", with[0]+1, rs[with[0]].Shard.Name(), rs[with[0]].Shard.RunID, firstMissing(rs)+1, ErrNotShards)
	}
	first := rs[0].Shard
	seen := map[int]int{}
	for i, r := range rs {
		s := r.Shard
		switch {
		case s.RunID != first.RunID:
			return true, "", fmt.Errorf("report %d is of run %s and report 1 of run %s (mixed runs): %w", i+1, s.RunID, first.RunID, ErrNotShards)
		case s.Scenario != first.Scenario:
			return true, "", fmt.Errorf("report %d ran scenario %q and report 1 scenario %q: %w", i+1, s.Scenario, first.Scenario, ErrNotShards)
		case s.Count != first.Count:
			return true, "", fmt.Errorf("report %d is one of %d shards and report 1 one of %d: %w", i+1, s.Count, first.Count, ErrNotShards)
		case s.Index < 0 || s.Index >= s.Count:
			return true, "", fmt.Errorf("report %d has shard index %d, outside 0…%d: %w", i+1, s.Index, s.Count-1, ErrNotShards)
		}
		if j, dup := seen[s.Index]; dup {
			return true, "", fmt.Errorf("reports %d and %d are both %s (duplicated index): %w", j+1, i+1, s.Name(), ErrNotShards)
		}
		seen[s.Index] = i
	}
	missing = missingIndices(seen, first.Count)
	if missing != "" && !allowMissing {
		return true, "", fmt.Errorf("run %s has %d shards but shard %s is missing: give every shard's report: %w", first.RunID, first.Count, missing, ErrNotShards)
	}
	return true, missing, nil
}

func firstMissing(rs []*Report) int {
	for i, r := range rs {
		if r.Shard == nil {
			return i
		}
	}
	return -1
}

// missingIndices lists the indices below n not in seen, e.g. "1, 3".
func missingIndices(seen map[int]int, n int) string {
	var out []string
	for i := range n {
		if _, ok := seen[i]; !ok {
			out = append(out, fmt.Sprint(i))
		}
	}
	return strings.Join(out, ", ")
}

// mergeShardParts keeps every shard's delivery evidence, ordered by index.
func mergeShardParts(rs []*Report) []ShardPart {
	parts := make([]ShardPart, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, shardPart(r))
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Shard.Index < parts[j].Shard.Index })
	return parts
}
