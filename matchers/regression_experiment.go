package matchers

import (
	"strings"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// sameRecordedExperiment refuses two runs whose recorded experiments
// (experiment.json: model, scenario, stage loads, length distributions,
// streaming, ignore_eos) differ, naming every difference.
func sameRecordedExperiment(b, c *report.Report) error {
	if b.Experiment == nil || c.Experiment == nil {
		return nil
	}
	if d := b.Experiment.Differences(*c.Experiment); len(d) > 0 {
		return refuse("not the same experiment: %s", strings.Join(d, "; "))
	}
	return nil
}

// pairedRuns reports whether both runs recorded one seeded workload of one
// scenario, so that their timeline blocks correspond.
func pairedRuns(b, c *report.Report) bool {
	return b.Experiment != nil && c.Experiment != nil && b.Experiment.Paired(*c.Experiment)
}
