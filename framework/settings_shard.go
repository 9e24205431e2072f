package framework

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// Settings of a sharded run: each of N generators runs shard I of the load
// from one shared start time, and report.Merge joins their reports.
const (
	// EnvShard is I/N: run shard I (0-based) of N.
	EnvShard = "TAILGATE_SHARD"
	// EnvStartAt is the shared start time (RFC 3339) every shard's first stage starts at.
	EnvStartAt = "TAILGATE_START_AT"
)

// MaxStartAhead bounds how far in the future a start time may lie: further
// is more likely a wrong date than a plan.
const MaxStartAhead = 24 * time.Hour

// ShardSettings place a run among the shards of one run; the zero value is
// an unsharded run starting at once.
type ShardSettings struct {
	// Shard is this run's share of the load (Count 0: unsharded).
	Shard loadgen.Shard
	// StartAt is the shared start time; zero starts at once.
	StartAt time.Time
}

// parseShardSettings reads EnvShard and EnvStartAt from raw; name labels a
// key in errors (the flag when it was given, else the variable).
func parseShardSettings(raw map[string]string, name func(env string) string) (ShardSettings, error) {
	var s ShardSettings
	if v := strings.TrimSpace(raw[EnvShard]); v != "" {
		sh, err := ParseShard(v)
		if err != nil {
			return s, fmt.Errorf("%s=%q: %w", name(EnvShard), v, err)
		}
		s.Shard = sh
	}
	if v := strings.TrimSpace(raw[EnvStartAt]); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return s, fmt.Errorf("%s=%q: want an RFC 3339 time such as 2026-12-01T15:00:00Z", name(EnvStartAt), v)
		}
		if ahead := time.Until(t); ahead > MaxStartAhead {
			return s, fmt.Errorf("%s=%q: %s ahead, more than %s: check the date", name(EnvStartAt), v, ahead.Round(time.Minute), MaxStartAhead)
		}
		s.StartAt = t
	}
	if s.Shard.Count > 0 && s.StartAt.IsZero() {
		return s, fmt.Errorf("%s=%q needs %s: the shared start time (RFC 3339) that aligns every shard's stages", name(EnvShard), raw[EnvShard], name(EnvStartAt))
	}
	return s, nil
}

// ParseShard reads "I/N" (0 <= I < N <= loadgen.MaxShards).
func ParseShard(v string) (loadgen.Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(v), "/")
	idx, err1 := strconv.Atoi(i)
	cnt, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || cnt < 1 || cnt > loadgen.MaxShards || idx < 0 || idx >= cnt {
		return loadgen.Shard{}, fmt.Errorf("want I/N with 0 <= I < N <= %d, such as 0/4 for the first of four shards", loadgen.MaxShards)
	}
	return loadgen.Shard{Index: idx, Count: cnt}, nil
}

// apply sets the shard, start time, shared seed and run id on o. Shards of
// one run must draw the same schedule, so a scenario without a base seed
// takes one from the start time instead of the clock; the run id is a digest
// of what makes the shards one run (start time, shard count, seed, scenario).
func (s ShardSettings) apply(o *loadgen.Options, cfg scenarios.Config) error {
	o.Shard, o.StartAt = s.Shard, s.StartAt
	if s.Shard.Count == 0 {
		return nil
	}
	if cfg.Load.BaseSeed == 0 {
		o.Seed = s.StartAt.UnixMilli()
	}
	load, err := json.Marshal(cfg.Load)
	if err != nil {
		return fmt.Errorf("run id: %w", err)
	}
	data, err := json.Marshal(cfg.Data)
	if err != nil {
		return fmt.Errorf("run id: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00", s.StartAt.UTC().Format(time.RFC3339Nano), s.Shard.Count, o.Seed, cfg.Name)
	h.Write(load)
	h.Write(data)
	o.RunID = hex.EncodeToString(h.Sum(nil))[:12]
	return nil
}

// labelShard records the scenario's name in a shard's report, so a merge
// can tell shards of different scenarios apart.
func labelShard(rep *report.Report, cfg scenarios.Config) {
	if rep != nil && rep.Shard != nil {
		rep.Shard.Scenario = cfg.Name
	}
}
