package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ShardFile holds a shard's identity (a shard's report directory) or every
// shard's delivery evidence (a merge of shards).
const ShardFile = "shard.json"

type shardJSON struct {
	Index           int     `json:"index"`
	Count           int     `json:"count"`
	RunID           string  `json:"run_id"`
	Scenario        string  `json:"scenario"`
	StartAt         string  `json:"start_at,omitempty"`
	LatenessSeconds float64 `json:"lateness_seconds"`
}

type deliveryJSON struct {
	Stage              int                `json:"stage"`
	Requests           int64              `json:"requests"`
	Partial            bool               `json:"partial,omitempty"`
	Concurrency        int                `json:"concurrency,omitempty"`
	RequestedRate      float64            `json:"requested_rate"`
	AchievedRate       float64            `json:"achieved_rate"`
	SendSeconds        float64            `json:"send_duration_seconds"`
	Generator          *GeneratorStats    `json:"generator,omitempty"`
	ScheduleDelayCount int64              `json:"schedule_delay_count"`
	ScheduleDelay      map[string]float64 `json:"schedule_delay_seconds,omitempty"`
}

type shardPartJSON struct {
	Shard         shardJSON      `json:"shard"`
	Partial       bool           `json:"partial,omitempty"`
	PartialReason string         `json:"partial_reason,omitempty"`
	Stages        []deliveryJSON `json:"stages"`
}

type shardFileJSON struct {
	Shard  *shardJSON      `json:"shard,omitempty"`
	Shards []shardPartJSON `json:"shards,omitempty"`
}

func toShardJSON(s Shard) shardJSON {
	out := shardJSON{Index: s.Index, Count: s.Count, RunID: s.RunID, Scenario: s.Scenario, LatenessSeconds: s.Lateness.Seconds()}
	if !s.StartAt.IsZero() {
		out.StartAt = s.StartAt.UTC().Format(time.RFC3339Nano)
	}
	return out
}

func (j shardJSON) shard() (Shard, error) {
	s := Shard{Index: j.Index, Count: j.Count, RunID: j.RunID, Scenario: j.Scenario, Lateness: secs(j.LatenessSeconds)}
	if j.StartAt != "" {
		t, err := time.Parse(time.RFC3339Nano, j.StartAt)
		if err != nil {
			return s, fmt.Errorf("start_at %q: want an RFC 3339 time", j.StartAt)
		}
		s.StartAt = t
	}
	if s.Count < 1 || s.RunID == "" {
		return s, fmt.Errorf("shard %d of %d of run %q: want count >= 1 and a run_id", s.Index, s.Count, s.RunID)
	}
	return s, nil
}

func toDeliveryJSON(s Stage) deliveryJSON {
	d := deliveryJSON{Stage: s.ID, Requests: s.Requests, Partial: s.Partial, Concurrency: s.Concurrency,
		RequestedRate: s.RequestedRate, AchievedRate: s.AchievedRate, SendSeconds: s.SendDuration.Seconds(), Generator: s.Generator}
	if dist, ok := s.Distribution(ScheduleDelay); ok {
		d.ScheduleDelayCount = dist.Count()
		d.ScheduleDelay = map[string]float64{}
		for _, p := range deliveryPercentiles {
			if v, err := dist.Percentile(p); err == nil {
				d.ScheduleDelay[statsKey(p)] = v
			}
		}
	}
	return d
}

func (d deliveryJSON) stage() Stage {
	s := Stage{ID: d.Stage, Requests: d.Requests, Partial: d.Partial, Concurrency: d.Concurrency,
		RequestedRate: d.RequestedRate, AchievedRate: d.AchievedRate, SendDuration: secs(d.SendSeconds), Generator: d.Generator}
	if d.ScheduleDelay != nil {
		st := &Stats{N: d.ScheduleDelayCount, Points: map[float64]float64{}}
		for k, v := range d.ScheduleDelay {
			if p, ok := parseStatsKey(k); ok {
				st.Points[p] = v
			}
		}
		s.Distributions = map[Metric]Distribution{ScheduleDelay: st}
	}
	return s
}

// shardFiles renders shard.json when r is a shard or a merge of shards.
func shardFiles(r *Report) []File {
	if r.Shard == nil && len(r.Shards) == 0 {
		return nil
	}
	var doc shardFileJSON
	if r.Shard != nil {
		s := toShardJSON(*r.Shard)
		doc.Shard = &s
	}
	for _, p := range r.Shards {
		pj := shardPartJSON{Shard: toShardJSON(p.Shard), Partial: p.Partial, PartialReason: p.PartialReason, Stages: []deliveryJSON{}}
		for _, s := range p.Stages {
			pj.Stages = append(pj.Stages, toDeliveryJSON(s))
		}
		doc.Shards = append(doc.Shards, pj)
	}
	return []File{{Name: ShardFile, Write: func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}}}
}

// readShardFile fills r.Shard and r.Shards from dir's shard.json, if any.
func readShardFile(dir string, r *Report) error {
	path := filepath.Join(dir, ShardFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read report dir: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc shardFileJSON
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("read report dir: %s: %w", path, err)
	}
	if doc.Shard != nil {
		s, err := doc.Shard.shard()
		if err != nil {
			return fmt.Errorf("read report dir: %s: %w", path, err)
		}
		r.Shard = &s
	}
	for _, pj := range doc.Shards {
		s, err := pj.Shard.shard()
		if err != nil {
			return fmt.Errorf("read report dir: %s: %w", path, err)
		}
		p := ShardPart{Shard: s, Partial: pj.Partial, PartialReason: pj.PartialReason}
		for _, d := range pj.Stages {
			p.Stages = append(p.Stages, d.stage())
		}
		r.Shards = append(r.Shards, p)
	}
	return nil
}
