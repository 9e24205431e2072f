package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// mermaidMaxPoints caps the points of a Mermaid chart; longer runs merge
// neighbouring intervals (exactly, from their histograms) into windows.
const mermaidMaxPoints = 60

// WriteMermaidTTFT writes a Markdown section with a Mermaid xychart-beta of
// TTFT P99 over time, with the SLA threshold of the first TTFT verdict as a
// flat second line; GitHub renders it in summaries and step summaries. It
// writes nothing when the report has no timeline or no TTFT samples.
func WriteMermaidTTFT(w io.Writer, r *Report, verdicts []Verdict) error {
	if r == nil {
		return nil
	}
	labels, p99, window, err := ttftWindows(r)
	if err != nil || len(p99) == 0 {
		return err
	}
	sla := math.NaN()
	var slaName string
	// The chart is P99 per window: draw the TTFT promise nearest to P99.
	best := math.Inf(1)
	for _, v := range verdicts {
		if v.Metric == TTFT && v.Threshold > 0 && math.Abs(v.Percentile-99) < best {
			best = math.Abs(v.Percentile - 99)
			sla, slaName = v.Threshold*1000, fmt.Sprintf(" vs SLA %s ≤ %s ms (flat line)", PercentileName(v.Percentile), msLabel(v.Threshold*1000))
		}
	}
	top := 0.0
	for _, v := range p99 {
		top = math.Max(top, v)
	}
	if !math.IsNaN(sla) {
		top = math.Max(top, sla)
	}
	ticks := niceTicks(0, top*1.05, 5)
	var b strings.Builder
	fmt.Fprintf(&b, "\n### TTFT P99 over time\n\n```mermaid\nxychart-beta\n")
	fmt.Fprintf(&b, "    title \"TTFT P99 per %s (ms)%s\"\n", window, slaName)
	fmt.Fprintf(&b, "    x-axis \"time since start (s)\" [%s]\n", strings.Join(labels, ", "))
	fmt.Fprintf(&b, "    y-axis \"TTFT P99 (ms)\" 0 --> %s\n", trimFloat(ticks[len(ticks)-1].v, 3))
	fmt.Fprintf(&b, "    line [%s]\n", joinFloats(p99))
	if !math.IsNaN(sla) {
		flat := make([]float64, len(p99))
		for i := range flat {
			flat[i] = sla
		}
		fmt.Fprintf(&b, "    line [%s]\n", joinFloats(flat))
	}
	b.WriteString("```\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// ttftWindows merges the run's intervals into at most mermaidMaxPoints
// windows and returns each window's start label and TTFT P99 in ms.
// Windows without a TTFT sample are left out.
func ttftWindows(r *Report) (labels []string, p99 []float64, window time.Duration, err error) {
	type iv struct {
		at time.Duration
		Interval
	}
	var all []iv
	var origin time.Time
	for _, s := range r.Stages {
		if s.Timeline != nil && (origin.IsZero() || s.Timeline.Start.Before(origin)) {
			origin = s.Timeline.Start
		}
	}
	for _, s := range r.Stages {
		if s.Timeline == nil {
			continue
		}
		for _, x := range s.Timeline.Intervals {
			all = append(all, iv{s.Timeline.Start.Sub(origin) + x.Start, x})
		}
	}
	if len(all) == 0 {
		return nil, nil, 0, nil
	}
	per := (len(all) + mermaidMaxPoints - 1) / mermaidMaxPoints
	window = time.Duration(per) * all[0].Length
	for i := 0; i < len(all); i += per {
		var h *Histogram
		for _, x := range all[i:min(i+per, len(all))] {
			xh, err := x.Histogram(TTFT)
			if err != nil {
				return nil, nil, 0, err
			}
			if h == nil {
				h = xh
			} else if xh != nil {
				h.Merge(xh)
			}
		}
		if h == nil || h.Count() == 0 {
			continue
		}
		v, _ := h.Percentile(99)
		labels = append(labels, fmt.Sprintf("\"%s\"", trimFloat(all[i].at.Seconds(), 1)))
		p99 = append(p99, math.Round(v*1e5)/100)
	}
	return labels, p99, window, nil
}

func joinFloats(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = trimFloat(v, 2)
	}
	return strings.Join(parts, ", ")
}
