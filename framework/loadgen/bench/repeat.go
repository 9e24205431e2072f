package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Figure is one bench figure over repetitions: every run's value, judged
// on the median against its goal (when it has one).
type Figure struct {
	Name   string
	Values []float64
	// Unit formats a value ("ms", "req/s", "MiB").
	Unit string
	// Goal judges the median; nil when the figure has no goal.
	Goal func(median float64) bool
	// GoalText says the goal, e.g. "P99 ≤ 1 ms".
	GoalText string
	// Section is the bench section that measures it.
	Section string
}

// Median returns the median value (the lower middle one for an even count).
func (f Figure) Median() float64 {
	v := slices.Clone(f.Values)
	slices.Sort(v)
	return v[(len(v)-1)/2]
}

// Range returns the smallest and largest value.
func (f Figure) Range() (float64, float64) {
	return slices.Min(f.Values), slices.Max(f.Values)
}

// Figures gathers the goal-bearing figures of repeated bench runs, those of
// the sections that ran.
func Figures(runs []*Results) []Figure {
	msOf := func(d time.Duration) float64 { return float64(d) / 1e6 }
	figs := []Figure{
		{Name: "schedule lag P99 at 1,000 req/s (16-token streams, Poisson)", Section: SectionLag, Unit: "ms", GoalText: "≤ 1 ms",
			Goal: func(m float64) bool { return m >= 0 && m <= msOf(GoalLagP99At1000) }},
		{Name: "  of which the pacer's own wake-up lateness, P99", Section: SectionLag, Unit: "ms"},
		{Name: "control: lag P99, evenly spaced 16-token streams", Section: SectionLag, Unit: "ms"},
		{Name: "control: lag P99, Poisson, unstreamed answers", Section: SectionLag, Unit: "ms"},
		{Name: "client TTFT error P99", Section: SectionError, Unit: "ms", GoalText: "≤ 0.5 ms", Goal: func(m float64) bool { return m >= 0 && m <= msOf(GoalTTFTErrP99) }},
		{Name: "client inter-token gap error P99", Section: SectionError, Unit: "ms"},
		{Name: "capacity, 16-token streams", Section: SectionCapacity, Unit: "req/s", GoalText: "≥ 5,000 req/s", Goal: func(m float64) bool { return m >= GoalCapacity16 }},
		{Name: "capacity, 256-token streams", Section: SectionCapacity, Unit: "req/s"},
		{Name: "memory growth 100k → 1M requests", Section: SectionMemory, Unit: "MiB", GoalText: "< 32 MiB", Goal: func(m float64) bool { return m < float64(GoalMemGrowth)/(1<<20) }},
		{Name: "non-streaming capacity, tailgate", Section: SectionNonStreaming, Unit: "req/s"},
		{Name: "non-streaming capacity, vegeta", Section: SectionNonStreaming, Unit: "req/s"},
	}
	for _, r := range runs {
		lag, pacer, uniform, unstreamed := -1.0, -1.0, -1.0, -1.0
		for _, l := range r.Lag {
			switch {
			case strings.HasPrefix(l.Label, "1000 req/s") && l.Failures == 0:
				lag, pacer = msOf(l.Lag.P99), msOf(l.Pacer.P99)
			case l.Label == controlUniform:
				uniform = msOf(l.Lag.P99)
			case l.Label == controlUnstreamed:
				unstreamed = msOf(l.Lag.P99)
			}
		}
		cap16, cap256 := 0.0, 0.0
		if len(r.Capacity) > 1 {
			cap16, cap256 = r.Capacity[0].Max, r.Capacity[1].Max
		}
		vals := []float64{lag, pacer, uniform, unstreamed, msOf(r.Error.TTFT.P99), msOf(r.Error.ITL.P99), cap16, cap256,
			float64(r.Memory.RSS[1]-r.Memory.RSS[0]) / (1 << 20), r.Ours.Max, r.Vegeta.Max}
		for i := range figs {
			figs[i].Values = append(figs[i].Values, vals[i])
		}
	}
	if len(runs) == 0 {
		return nil
	}
	return slices.DeleteFunc(figs, func(f Figure) bool { return !runs[0].ran(f.Section) })
}

// PrintFigures prints each figure as its median with the range, and the
// goal's verdict on the median.
func PrintFigures(w io.Writer, figs []Figure) {
	if len(figs) == 0 || len(figs[0].Values) == 0 {
		return
	}
	fmt.Fprintf(w, "Summary over %d repetitions: median [min – max]; goals judged on the median\n", len(figs[0].Values))
	for _, f := range figs {
		lo, hi := f.Range()
		goal := ""
		if f.Goal != nil {
			goal = fmt.Sprintf("goal %s: %s", f.GoalText, verdict(f.Goal(f.Median())))
		}
		fmt.Fprintf(w, "   %-62s %10.3f %-6s [%.3f – %.3f]   %s\n", f.Name, f.Median(), f.Unit, lo, hi, goal)
	}
}
