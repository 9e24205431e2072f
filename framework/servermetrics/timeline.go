package servermetrics

import (
	"math"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// timeline returns the server's state at each sample inside [from, to],
// with the last sample before from (the baseline of the counters).
func timeline(samples []sample, from, to time.Time) []report.ServerSample {
	var out []report.ServerSample
	for i, s := range samples {
		if s.at.After(to) || (i+1 < len(samples) && !samples[i+1].at.After(from)) {
			continue
		}
		out = append(out, report.ServerSample{
			At:           s.at,
			Waiting:      gaugeValue(s.snap, waiting, false),
			Running:      gaugeValue(s.snap, running, false),
			KVCacheUsage: gaugeValue(s.snap, kvUsage, true),
			Preemptions:  counterValue(s.snap, preemptions),
		})
	}
	return out
}

// gaugeValue is gauge q summed over the series (their peak when fullest is
// set), NaN when the scrape had no such gauge.
func gaugeValue(s snapshot, q string, fullest bool) float64 {
	g, ok := s.gauges[q]
	switch {
	case !ok:
		return math.NaN()
	case fullest:
		return g.max
	}
	return g.sum
}

// counterValue is counter q summed over the series, NaN when the scrape had none.
func counterValue(s snapshot, q string) float64 {
	v, ok := s.counters[q]
	if !ok {
		return math.NaN()
	}
	return v
}

// Timeline returns the server's state at each scrape inside [from, to].
func (s *Scraper) Timeline(from, to time.Time) []report.ServerSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return timeline(s.samples, from, to)
}

// Timeline returns the server's state at each query step inside [from, to].
func (s *Samples) Timeline(from, to time.Time) []report.ServerSample {
	return timeline(s.s, from, to)
}
