package report

import (
	"fmt"
	"math"
	"sort"
)

// spectrumX places percentile p on the spectrum's axis: log10(1/(1−p/100)),
// so 90% is 1, 99% is 2, 99.9% is 3 and 99.99% is 4.
func spectrumX(p float64) float64 { return math.Log10(1 / (1 - p/100)) }

// spectrumTicks label the spectrum's x axis from the median to 99.99%.
func spectrumTicks() []tick {
	ps := []struct {
		p     float64
		label string
	}{{0, "0%"}, {90, "90%"}, {99, "99%"}, {99.9, "99.9%"}, {99.99, "99.99%"}}
	out := make([]tick, len(ps))
	for i, q := range ps {
		out[i] = tick{spectrumX(q.p), q.label}
	}
	return out
}

// spectrumPoints samples d along the spectrum: densely for a histogram, up
// to the percentile its sample count can support; at the percentiles a
// report file holds otherwise.
func spectrumPoints(d Distribution) []pt {
	out := []pt{{0, d.Min() * 1000}}
	if ps := d.Exact(); ps != nil {
		for _, p := range ps {
			if p < 100 {
				if v, err := d.Percentile(p); err == nil {
					out = append(out, pt{spectrumX(p), v * 1000})
				}
			}
		}
		return out
	}
	top := math.Min(4, math.Log10(float64(max(d.Count(), 1))))
	for x := 0.05; x <= top+1e-9; x += 0.05 {
		p := 100 * (1 - math.Pow(10, -x))
		if v, err := d.Percentile(p); err == nil {
			out = append(out, pt{x, v * 1000})
		}
	}
	return out
}

// spectrumStages are the stages drawn on a spectrum: the summary for one
// stage, each stage (up to the palette's size) for several.
func spectrumStages(r *Report) []Stage {
	if len(r.Stages) <= 1 {
		return []Stage{r.Summary}
	}
	if len(r.Stages) > len(palette) {
		return r.Stages[:len(palette)]
	}
	return r.Stages
}

func spectra(r *Report, vs []Verdict, base *Report) []*chart {
	var out []*chart
	for _, m := range LatencyMetrics() {
		c := &chart{id: "spectrum-" + string(m), title: metricTitle(m) + ": percentile spectrum", xLabel: "percentile", yLabel: "latency (ms)",
			xTicks: spectrumTicks(), yMin0: true}
		for i, s := range spectrumStages(r) {
			d, ok := s.Distribution(m)
			if !ok || d.Count() == 0 {
				continue
			}
			name := "all stages"
			if s.ID >= 0 {
				name = s.Name()
				if s.RequestedRate > 0 {
					name += fmt.Sprintf(" (%s req/s)", rate(s.RequestedRate))
				}
			}
			c.series = append(c.series, series{name: name, color: palette[i%len(palette)], pts: spectrumPoints(d)})
		}
		if base != nil {
			if d, ok := base.Summary.Distribution(m); ok && d.Count() > 0 {
				c.series = append(c.series, series{name: "baseline", color: colGrey, dash: true, pts: spectrumPoints(d)})
			}
		}
		for _, v := range vs {
			if v.Metric == m && v.Threshold > 0 && v.Percentile > 0 && v.Percentile < 100 {
				c.markers = append(c.markers, marker{x: math.Min(4, spectrumX(v.Percentile)), y: v.Threshold * 1000, color: colBlack,
					label: fmt.Sprintf("SLA %s ≤ %s ms", PercentileName(v.Percentile), msLabel(v.Threshold*1000))})
			}
		}
		out = append(out, c)
	}
	return out
}

// stageRate is the rate a stage ran at: achieved send rate, else completions per second.
func stageRate(s Stage) float64 {
	if s.AchievedRate > 0 {
		return s.AchievedRate
	}
	return s.Throughput.RequestsPerSec
}

// rateCurves draws P50, P90 and P99 of each series metric against each
// stage's achieved rate, for runs of two or more stages.
func rateCurves(r *Report) []*chart {
	if len(r.Stages) < 2 {
		return nil
	}
	stages := append([]Stage(nil), r.Stages...)
	sort.SliceStable(stages, func(i, j int) bool { return stageRate(stages[i]) < stageRate(stages[j]) })
	var out []*chart
	for _, m := range SeriesMetrics() {
		c := &chart{id: "vs-rate-" + string(m), title: metricTitle(m) + " versus achieved rate", xLabel: "achieved rate (requests per second)", yLabel: "latency (ms)", yMin0: true}
		for i, q := range []float64{50, 90, 99} {
			s := series{name: PercentileName(q), color: []string{colBlue, colGreen, colVermilion}[i]}
			for _, st := range stages {
				y := math.NaN()
				if d, ok := st.Distribution(m); ok && d.Count() > 0 {
					if v, err := d.Percentile(q); err == nil {
						y = v * 1000
					}
				}
				s.pts = append(s.pts, pt{stageRate(st), y})
			}
			c.series = append(c.series, s)
		}
		out = append(out, c)
	}
	return out
}
