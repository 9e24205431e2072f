package main

import (
	"fmt"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

// exitRegression is the exit code of a comparison that found a regression
// (exitInconclusive, 3, when it cannot judge).
const exitRegression = 1

// judgeComparison judges NEW against BASE with the regression promises of the
// SLA file (its regression block, BASE standing for its baseline) or, without
// one, matchers.DefaultRegression. It prints one line per promise and returns
// 1 when a promise breaks, 3 when none breaks but one cannot be judged, else 0.
func judgeComparison(baseDir string, cur *report.Report, slaPath string, s stdio) int {
	sla := matchers.SLA{Regression: matchers.DefaultRegression()}
	if slaPath != "" {
		var err error
		if sla, err = matchers.LoadSLA(slaPath); err != nil {
			fmt.Fprintf(s.err, "report: %v\n", err)
			return 2
		}
		if sla.Regression == nil {
			fmt.Fprintf(s.err, "report: --sla %s has no regression block; add one (regression: {latency: {ttft: {p99: 10%%}}}) or drop --sla to judge the default promises\n", slaPath)
			return 2
		}
	}
	fmt.Fprintf(s.out, "\nregression verdicts (%s against the baseline %s):\n", cur.Source, baseDir)
	broken, refused := 0, 0
	for _, p := range sla.RegressionPromises(baseDir) {
		ok, err := p.Matcher.Match(cur)
		switch {
		case err != nil: // a refusal (matchers.ErrInconclusive) or a promise that cannot apply
			refused++
			fmt.Fprintf(s.out, "  CANNOT JUDGE  %s: %v\n", p.Name, err)
		case !ok:
			broken++
			fmt.Fprintf(s.out, "  FAIL          %s: %s\n", p.Name, p.Matcher.FailureMessage(cur))
		default:
			measured := ""
			if m, ok := p.Matcher.(matchers.Measurer); ok {
				measured = m.Measured()
			}
			fmt.Fprintf(s.out, "  PASS          %s: %s\n", p.Name, measured)
		}
	}
	switch {
	case broken > 0:
		return exitRegression
	case refused > 0:
		return exitInconclusive
	}
	return 0
}
