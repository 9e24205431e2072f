package servermetrics

import (
	"math"
	"sort"

	dto "github.com/prometheus/client_model/go"
)

// Canonical quantities, whatever a vLLM release calls them.
const (
	running       = "running"
	waiting       = "waiting"
	swapped       = "swapped"
	kvUsage       = "kv_usage"
	prefixRateV0  = "prefix_hit_rate"
	preemptions   = "preemptions"
	promptTokens  = "prompt_tokens"
	genTokens     = "generation_tokens"
	successes     = "successes"
	prefixHits    = "prefix_hits"
	prefixQueries = "prefix_queries"
	ttft          = "ttft"
	itl           = "itl"
	tpot          = "tpot"
	queueTime     = "queue_time"
	e2e           = "e2e"
)

// gaugeNames maps each gauge to the family names vLLM releases use, newest first
// (v1 engine names, then the v0 engine's).
var gaugeNames = map[string][]string{
	running:      {"vllm:num_requests_running"},
	waiting:      {"vllm:num_requests_waiting"},
	swapped:      {"vllm:num_requests_swapped"},
	kvUsage:      {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"},
	prefixRateV0: {"vllm:gpu_prefix_cache_hit_rate"},
}

// counterNames maps each counter to its family names, without the _total suffix
// (Python's client types the family without it and suffixes the samples).
var counterNames = map[string][]string{
	preemptions:   {"vllm:num_preemptions"},
	promptTokens:  {"vllm:prompt_tokens"},
	genTokens:     {"vllm:generation_tokens"},
	successes:     {"vllm:request_success"},
	prefixHits:    {"vllm:prefix_cache_hits"},
	prefixQueries: {"vllm:prefix_cache_queries"},
}

// histogramNames maps each latency histogram to its family names. v0 called
// the per-token gap time_per_output_token_seconds; v1 renamed it
// inter_token_latency_seconds and added a per-request TPOT histogram.
var histogramNames = map[string][]string{
	ttft:      {"vllm:time_to_first_token_seconds"},
	itl:       {"vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds"},
	tpot:      {"vllm:request_time_per_output_token_seconds"},
	queueTime: {"vllm:request_queue_time_seconds"},
	e2e:       {"vllm:e2e_request_latency_seconds"},
}

// IsVLLM reports whether the families include vLLM's scheduler gauges.
func IsVLLM(fams map[string]*dto.MetricFamily) bool {
	return fams["vllm:num_requests_running"] != nil || fams["vllm:num_requests_waiting"] != nil
}

// gaugeAgg aggregates one gauge over the series of one scrape.
type gaugeAgg struct {
	sum, max float64
	series   int
}

// hist is a cumulative histogram summed over the series of one scrape.
type hist struct {
	bounds []float64 // finite upper bounds, ascending
	cum    []float64 // cumulative counts per bound
	count  float64
	sum    float64
}

// snapshot is one scrape reduced to the quantities tailgate reports.
type snapshot struct {
	gauges   map[string]gaugeAgg
	counters map[string]float64
	hists    map[string]hist
	// series is the number of distinct series of the busiest scheduler gauge.
	series int
}

func reduce(fams map[string]*dto.MetricFamily) snapshot {
	s := snapshot{gauges: map[string]gaugeAgg{}, counters: map[string]float64{}, hists: map[string]hist{}}
	for q, names := range gaugeNames {
		if mf := first(fams, names); mf != nil {
			g := gaugeAgg{max: math.Inf(-1)}
			for _, m := range mf.GetMetric() {
				v := value(m)
				g.sum += v
				g.max = math.Max(g.max, v)
				g.series++
			}
			if g.series > 0 {
				s.gauges[q] = g
				s.series = max(s.series, g.series)
			}
		}
	}
	for q, names := range counterNames {
		var withTotal []string
		for _, n := range names {
			withTotal = append(withTotal, n+"_total", n)
		}
		if mf := first(fams, withTotal); mf != nil {
			for _, m := range mf.GetMetric() {
				s.counters[q] += value(m)
			}
		}
	}
	for q, names := range histogramNames {
		if mf := first(fams, names); mf != nil && mf.GetType() == dto.MetricType_HISTOGRAM {
			s.hists[q] = sumHistograms(mf.GetMetric())
		}
	}
	return s
}

// first returns the first of names that has samples.
func first(fams map[string]*dto.MetricFamily, names []string) *dto.MetricFamily {
	for _, n := range names {
		if mf := fams[n]; mf != nil && len(mf.GetMetric()) > 0 {
			return mf
		}
	}
	return nil
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	}
	return m.GetUntyped().GetValue()
}

func sumHistograms(ms []*dto.Metric) hist {
	byBound := map[float64]float64{}
	var h hist
	for _, m := range ms {
		hg := m.GetHistogram()
		h.count += float64(hg.GetSampleCount()) + hg.GetSampleCountFloat()
		h.sum += hg.GetSampleSum()
		for _, b := range hg.GetBucket() {
			if math.IsInf(b.GetUpperBound(), 1) {
				continue
			}
			byBound[b.GetUpperBound()] += float64(b.GetCumulativeCount()) + b.GetCumulativeCountFloat()
		}
	}
	for b := range byBound {
		h.bounds = append(h.bounds, b)
	}
	sort.Float64s(h.bounds)
	for _, b := range h.bounds {
		h.cum = append(h.cum, byBound[b])
	}
	return h
}
