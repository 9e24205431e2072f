package report

import (
	"fmt"
	"math"
	"time"
)

// timeOrigin is where the charts' time axis starts: the start of the
// earliest stage timeline, else the first server sample.
func timeOrigin(r *Report) time.Time {
	var origin time.Time
	for _, s := range r.Stages {
		if s.Timeline != nil && (origin.IsZero() || s.Timeline.Start.Before(origin)) {
			origin = s.Timeline.Start
		}
	}
	if origin.IsZero() && r.Summary.Server != nil && len(r.Summary.Server.Samples) > 0 {
		origin = r.Summary.Server.Samples[0].At
	}
	return origin
}

// serverCharts draws the server's state at each scrape: requests waiting
// and running, KV-cache usage, and preemptions per scrape interval (only
// when there were any). None without server samples.
func serverCharts(r *Report, pts []SeriesPoint) []*chart {
	if r.Summary.Server == nil || len(r.Summary.Server.Samples) == 0 {
		return nil
	}
	origin := timeOrigin(r)
	marks := stageStarts(r, pts)
	queue := &chart{id: "server-requests", title: "Requests waiting and running (server)", xLabel: "time since start (s)",
		yLabel: "requests", yMin0: true, vlines: marks}
	kv := &chart{id: "server-kv-cache", title: "KV-cache usage (server)", xLabel: "time since start (s)",
		yLabel: "KV-cache usage (%)", yMin0: true, vlines: marks}
	pre := &chart{id: "server-preemptions", title: "Preemptions per scrape interval (server)", xLabel: "time since start (s)",
		yLabel: "preemptions", yMin0: true, barKeys: []string{"preemptions"}}
	waiting := series{name: "waiting", color: colVermilion}
	running := series{name: "running", color: colBlue}
	usage := series{name: "KV-cache usage", color: colPurple}
	samples := r.Summary.Server.Samples
	for i, s := range samples {
		x := s.At.Sub(origin).Seconds()
		if x < 0 {
			continue // the scrape before the load: the baseline of the counters
		}
		waiting.pts = append(waiting.pts, pt{x, s.Waiting})
		running.pts = append(running.pts, pt{x, s.Running})
		usage.pts = append(usage.pts, pt{x, 100 * s.KVCacheUsage})
		if i == 0 || math.IsNaN(s.Preemptions) || math.IsNaN(samples[i-1].Preemptions) {
			continue
		}
		if n := counterStep(samples[i-1].Preemptions, s.Preemptions); n > 0 {
			prev := max(0, samples[i-1].At.Sub(origin).Seconds())
			pre.bars = append(pre.bars, barGroup{x: prev, values: []float64{n}})
			pre.barWidth = x - prev
		}
	}
	if len(samples) > 0 {
		pre.xSpan = []float64{0, samples[len(samples)-1].At.Sub(origin).Seconds()}
	}
	queue.series = []series{waiting, running}
	kv.series = []series{usage}
	return []*chart{queue, kv, pre}
}

// serverChartsNote says where the server charts' figures come from.
func serverChartsNote(r *Report) string {
	note := "The model server's own gauges at each scrape of its /metrics"
	if m := r.Summary.Server; m != nil && m.Source == ServerFromPrometheus {
		note = "The model server's own gauges at each Prometheus query step"
	}
	return note + ": requests waiting and running (summed over the replicas), KV-cache usage (the fullest replica), and preemptions between scrapes."
}

// serverCols adds the server's state to the timeline table: the peaks of
// waiting requests and KV-cache usage at the scrapes inside each interval.
type serverCols struct {
	samples []ServerSample
	origin  time.Time
}

func serverColumns(r *Report) serverCols {
	if r.Summary.Server == nil || len(r.Summary.Server.Samples) == 0 {
		return serverCols{}
	}
	return serverCols{samples: r.Summary.Server.Samples, origin: timeOrigin(r)}
}

func (c serverCols) head() []string {
	if c.samples == nil {
		return nil
	}
	return []string{"waiting", "KV cache", "preempted"}
}

// cells are the interval's server peaks; "–" where no scrape fell inside it.
func (c serverCols) cells(p SeriesPoint) []string {
	if c.samples == nil {
		return nil
	}
	from := c.origin.Add(p.At)
	st, ok := StateOver(c.samples, from, from.Add(p.Length))
	if !ok {
		return []string{"–", "–", "–"}
	}
	cell := func(v, scale float64, unit string) string {
		if math.IsNaN(v) {
			return "–"
		}
		return trimFloat(v*scale, 1) + unit
	}
	return []string{cell(st.MaxWaiting, 1, ""), cell(st.MaxKVCacheUsage, 100, "%"), cell(st.Preemptions, 1, "")}
}

// worstLines mark where the worst stretch of each failed promise on metric
// m begins, labelled with the percentile and the stretch's width.
func worstLines(m Metric, vs []Verdict) []refLine {
	var out []refLine
	for _, v := range vs {
		if w := v.Worst; w != nil && w.Metric == m {
			out = append(out, refLine{v: w.Offset.Seconds(),
				label: fmt.Sprintf("worst %s: %s from here", PercentileName(w.Percentile), w.Width.Round(time.Millisecond))})
		}
	}
	return out
}
