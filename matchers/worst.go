package matchers

import "github.com/tailgate-dev/tailgate/framework/report"

// explainFailure finds the stretch of the run where the judged percentile
// was worst, from the client's interval histograms of the judged stage (of
// every stage for the summary), with the server's state over it, and puts
// it in the failure message ahead of the server's view of the whole stage.
func (m *PercentileMatcher) explainFailure(s subject) {
	stages := []report.Stage{s.stage}
	if s.stage.ID < 0 {
		stages = s.check
	}
	var samples []report.ServerSample
	if s.stage.Server != nil {
		samples = s.stage.Server.Samples
	}
	tail := func(n, failed, succeeded int64) int64 {
		return tailFailures(report.Stage{Failures: failed, Successes: succeeded}, m.metric, n)
	}
	w, err := report.WorstOver(stages, samples, m.metric, m.p, report.DefaultWorstWidth, tail)
	if err != nil || w == nil {
		return
	}
	m.res.Worst = w
	m.server = "; " + w.String() + serverContext(s.stage, false)
}
