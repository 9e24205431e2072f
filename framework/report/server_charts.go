package report

import (
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
		waiting.pts = append(waiting.pts, pt{x, s.Waiting})
		running.pts = append(running.pts, pt{x, s.Running})
		usage.pts = append(usage.pts, pt{x, 100 * s.KVCacheUsage})
		if i == 0 || math.IsNaN(s.Preemptions) || math.IsNaN(samples[i-1].Preemptions) {
			continue
		}
		if n := counterStep(samples[i-1].Preemptions, s.Preemptions); n > 0 {
			prev := samples[i-1].At.Sub(origin).Seconds()
			pre.bars = append(pre.bars, barGroup{x: prev, values: []float64{n}})
			pre.barWidth = x - prev
		}
	}
	if len(samples) > 0 {
		pre.xSpan = []float64{samples[0].At.Sub(origin).Seconds(), samples[len(samples)-1].At.Sub(origin).Seconds()}
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
