package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// comparePercentiles are the percentiles Compare sets side by side.
var comparePercentiles = [...]float64{50, 90, 95, 99}

// Delta is one figure of two reports side by side.
type Delta struct {
	// Stage names the stage ("summary", "stage 3").
	Stage string
	// Figure names what is compared: "time_to_first_token p99", "error rate", …
	Figure string
	// Metric is the metric of a percentile row; empty for other figures.
	Metric Metric
	// Base and New are the two values; NaN when a side lacks it.
	Base, New float64
	// Unit says how to print values: "s" (seconds), "tokens", "%", "/s", "" (a count).
	Unit string
}

// Change returns New - Base (NaN when a side is missing).
func (d Delta) Change() float64 { return d.New - d.Base }

// Relative returns (New - Base) / Base, or NaN when Base is 0 or missing.
func (d Delta) Relative() float64 {
	if d.Base == 0 || math.IsNaN(d.Base) || math.IsNaN(d.New) {
		return math.NaN()
	}
	return (d.New - d.Base) / d.Base
}

// Comparison is the per-figure difference between a base and a new report.
type Comparison struct {
	Base, New string
	Deltas    []Delta
	// Notes lists stages present on one side only.
	Notes []string
}

// Compare sets base and new side by side: for the summary and each stage
// present in both, the request counts, error rate, achieved rate,
// throughput and the comparePercentiles of every latency metric.
func Compare(base, new *Report) Comparison {
	c := Comparison{Base: base.Source, New: new.Source}
	c.Deltas = append(c.Deltas, compareStage(base.all()[0], new.all()[0])...)
	byID := map[int]Stage{}
	for _, s := range new.Stages {
		byID[s.ID] = s
	}
	seen := map[int]bool{}
	for _, b := range base.Stages {
		n, ok := byID[b.ID]
		if !ok {
			c.Notes = append(c.Notes, b.Name()+" only in base")
			continue
		}
		seen[b.ID] = true
		c.Deltas = append(c.Deltas, compareStage(b, n)...)
	}
	for _, n := range new.Stages {
		if !seen[n.ID] {
			c.Notes = append(c.Notes, n.Name()+" only in new")
		}
	}
	return c
}

func compareStage(b, n Stage) []Delta {
	name := b.Name()
	orNaN := func(v float64) float64 {
		if v == 0 {
			return math.NaN()
		}
		return v
	}
	out := []Delta{
		{Stage: name, Figure: "requests", Base: float64(b.Requests), New: float64(n.Requests)},
		{Stage: name, Figure: "error rate", Base: 100 * b.ErrorRate(), New: 100 * n.ErrorRate(), Unit: "%"},
	}
	if b.ID >= 0 {
		out = append(out, Delta{Stage: name, Figure: "achieved rate", Base: orNaN(b.AchievedRate), New: orNaN(n.AchievedRate), Unit: "/s"})
	}
	out = append(out,
		Delta{Stage: name, Figure: string(RequestsPerSec), Base: b.Throughput.RequestsPerSec, New: n.Throughput.RequestsPerSec, Unit: "/s"},
		Delta{Stage: name, Figure: string(OutputTokensPerSec), Base: b.Throughput.OutputTokensPerSec, New: n.Throughput.OutputTokensPerSec, Unit: "/s"})
	for _, m := range append(append([]Metric(nil), LatencyMetrics()...), ScheduleDelay) {
		bd, bok := b.Distribution(m)
		nd, nok := n.Distribution(m)
		if !bok && !nok {
			continue
		}
		for _, p := range comparePercentiles {
			out = append(out, Delta{Stage: name, Figure: string(m) + " " + PercentileName(p), Metric: m,
				Base: pctOrNaN(bd, p), New: pctOrNaN(nd, p), Unit: "s"})
		}
	}
	return out
}

func pctOrNaN(d Distribution, p float64) float64 {
	if d == nil {
		return math.NaN()
	}
	v, err := d.Percentile(p)
	if err != nil {
		return math.NaN()
	}
	return v
}

func formatDelta(unit string, v float64, signed bool) string {
	if math.IsNaN(v) {
		return "-"
	}
	sign := ""
	if signed && v >= 0 {
		sign = "+"
	}
	switch unit {
	case "s":
		return sign + FormatSeconds(v)
	case "%":
		return sign + trimFloat(v, 3) + "%"
	case "/s":
		return sign + trimFloat(v, 2)
	}
	return sign + trimFloat(v, 2)
}

// WriteText prints the comparison as one table per stage.
func (c Comparison) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "base: %s\nnew:  %s\n", c.Base, c.New)
	stage := ""
	for _, d := range c.Deltas {
		if d.Stage != stage {
			stage = d.Stage
			fmt.Fprintf(tw, "\n%s\n", stage)
			fmt.Fprintln(tw, strings.Join([]string{"figure", "base", "new", "change", "relative"}, "\t")+"\t")
		}
		rel := "-"
		if r := d.Relative(); !math.IsNaN(r) {
			rel = fmt.Sprintf("%+.1f%%", 100*r)
		}
		fmt.Fprintln(tw, strings.Join([]string{d.Figure, formatDelta(d.Unit, d.Base, false), formatDelta(d.Unit, d.New, false),
			formatDelta(d.Unit, d.Change(), true), rel}, "\t")+"\t")
	}
	for _, n := range c.Notes {
		fmt.Fprintf(tw, "\nnote: %s\n", n)
	}
	return tw.Flush()
}
