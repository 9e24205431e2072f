package matchers

import (
	"fmt"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// shardViolations lists how a shard, or any shard of a merge of shards, shows
// its load was not delivered, each naming the shard: a shard that started
// after the shared start time by more than MaxLagP99, and every stage
// violation of a shard on its own (its lag is diluted in the merged
// histograms by the other shards' samples, so only its own figures tell).
func (b LoadBounds) shardViolations(s subject) []string {
	var out []string
	if s.shard != nil {
		out = append(out, b.latenessViolation(*s.shard)...)
	}
	for _, p := range s.shards {
		name := p.Shard.Name()
		out = append(out, b.latenessViolation(p.Shard)...)
		if p.Partial && !b.AllowPartial {
			reason := p.PartialReason
			if reason == "" {
				reason = "the run was cut short"
			}
			out = append(out, name+": partial report: "+reason)
		}
		for _, st := range p.Stages {
			for _, v := range b.stageViolations(st, true) {
				out = append(out, name+", "+v)
			}
		}
	}
	return out
}

func (b LoadBounds) latenessViolation(sh report.Shard) []string {
	if sh.Lateness <= b.MaxLagP99 {
		return nil
	}
	return []string{fmt.Sprintf("%s started %s after the shared start time %s (allowed %s): start the shards earlier or give them a later start time",
		sh.Name(), sh.Lateness.Round(1e6), sh.StartAt.UTC().Format("15:04:05.000Z"), b.MaxLagP99)}
}
