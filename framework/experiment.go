package framework

import (
	"fmt"
	"strconv"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// ExperimentOf is the fingerprint of a run of cfg that its report records
// (experiment.json): the model, the scenario's name, each stage's load, the
// length distributions, streaming, ignore_eos and the workload seed (only
// when load.base_seed sets one; otherwise each run draws its own).
func ExperimentOf(cfg scenarios.Config) *report.Experiment {
	e := &report.Experiment{
		Scenario:      cfg.Name,
		Streaming:     strconv.FormatBool(cfg.API.Streaming),
		PromptLengths: describeLengths(cfg.Data.InputDistribution),
		OutputLengths: describeLengths(cfg.Data.OutputDistribution),
	}
	if cfg.Data.Type != "" && e.PromptLengths != "" {
		e.PromptLengths = string(cfg.Data.Type) + " " + e.PromptLengths
	}
	if s := cfg.Server; s != nil {
		e.Model = s.ModelName
		e.IgnoreEOS = strconv.FormatBool(s.IgnoreEOS == nil || *s.IgnoreEOS)
	}
	for _, st := range cfg.Load.Stages {
		if st.ConcurrencyLevel > 0 {
			e.Stages = append(e.Stages, fmt.Sprintf("%d requests at concurrency %d", st.NumRequests, st.ConcurrencyLevel))
			continue
		}
		e.Stages = append(e.Stages, fmt.Sprintf("%s %g req/s for %ds", cfg.Load.Type, st.Rate, st.Duration))
	}
	if sw := cfg.Load.Sweep; sw != nil {
		e.Stages = append(e.Stages, fmt.Sprintf("sweep of %d stages of %ds", sw.NumStages, sw.StageDuration))
	}
	if cfg.Load.BaseSeed != 0 {
		e.Seed = strconv.FormatInt(cfg.Load.BaseSeed, 10)
	}
	return e
}

// describeLengths describes a length distribution, e.g. "normal mean 1024 sd 512 in [128, 4096]".
func describeLengths(d *scenarios.Distribution) string {
	if d == nil {
		return ""
	}
	kind := string(d.Type)
	if kind == "" {
		kind = "normal"
	}
	return fmt.Sprintf("%s mean %g sd %g in [%d, %d]", kind, d.Mean, d.EffectiveStdDev(), d.Min, d.Max)
}
