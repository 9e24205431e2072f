package report

import "time"

// Names of the server figures, spelled as inference-perf's prometheus report
// spells its keys under "successes". Figures tailgate adds use the same style.
const (
	// ServerRequestCount is the number of requests the server finished in the window.
	ServerRequestCount = "count"
	// ServerRequestRate is finished requests per second.
	ServerRequestRate = "rate"
	// ServerPromptLen holds the prompt tokens: "rate" per second, "mean" per request.
	ServerPromptLen = "prompt_len"
	// ServerOutputLen holds the generated tokens: "rate" per second, "mean" per request.
	ServerOutputLen = "output_len"
	// ServerWaiting is the number of requests waiting to be scheduled ("mean", "max").
	ServerWaiting = "queue_len"
	// ServerRunning is the number of requests in the running batch ("mean", "max").
	ServerRunning = "num_requests_running"
	// ServerKVCacheUsage is the KV-cache usage as a fraction of 1 ("mean", "max", …).
	ServerKVCacheUsage = "kv_cache_usage_percentage"
	// ServerPreemptions counts preemptions; "total" is the increase over the window.
	ServerPreemptions = "num_preemptions_total"
	// ServerPrefixCacheHit is the prefix-cache hit share in percent ("mean").
	ServerPrefixCacheHit = "prefix_cache_hit_percent"
	// ServerTTFT is the server-side time to first token in seconds.
	ServerTTFT = "time_to_first_token"
	// ServerTPOT is the server-side time per output token per request in seconds.
	ServerTPOT = "time_per_output_token"
	// ServerITL is the server-side inter-token latency in seconds.
	ServerITL = "inter_token_latency"
	// ServerQueueTime is the time requests spent waiting in the server in seconds.
	ServerQueueTime = "request_queue_time"
	// ServerE2E is the server-side request latency in seconds.
	ServerE2E = "request_latency"
)

// Where server figures come from (ServerMetrics.Source).
const (
	// ServerFromInferencePerf marks figures read from inference-perf's prometheus report files.
	ServerFromInferencePerf = "inference-perf"
	// ServerFromScrape marks figures computed from tailgate's own scrapes of /metrics.
	ServerFromScrape = "scrape"
	// ServerFromPrometheus marks figures queried from a Prometheus server.
	ServerFromPrometheus = "prometheus"
)

// ServerMetrics is the model server's own view of one stage or of the whole
// run, in the shape of inference-perf's prometheus report: named figures,
// each a scalar (count, rate) or a set of statistics (mean, max, median, p90,
// p99, total, …). Percentiles of server histograms are interpolated within
// bucket bounds and so are approximate.
type ServerMetrics struct {
	// Source says where the figures came from (the ServerFrom* constants).
	Source string
	// Series is how many server series (replicas, engines) were aggregated; 0 when unknown.
	Series int
	// Scrapes is the number of samples taken in the window; 0 when unknown.
	Scrapes int
	// Note carries a remark on the figures (e.g. that percentiles are approximate).
	Note string
	// Figures holds the figures in file order.
	Figures []ServerFigure
	// BenchmarkTime is inference-perf's benchmark_time_seconds when the file has it.
	BenchmarkTime *ServerValue
	// Worst is the interval of the window where the server's TTFT p99 was
	// highest, when the window held several; it is kept in memory only (the
	// report files do not carry it).
	Worst *ServerInterval
	// Samples is the server's state at each scrape of the window, for
	// charts and for the state in a client interval; the summary's are
	// saved in ServerTimelineFile.
	Samples []ServerSample
}

// ServerInterval is the server's view of one interval inside a window.
type ServerInterval struct {
	// Offset is the interval's start from the window's start; Width its length.
	Offset, Width time.Duration
	// Metrics holds the interval's figures.
	Metrics *ServerMetrics
}

// ServerFigure is one named server figure.
type ServerFigure struct {
	// Name is the figure's key (the Server* constants, or any key a file holds).
	Name string
	// Scalar is true for a bare number (Stats then holds one entry with an empty Name).
	Scalar bool
	// Stats holds the statistics in file order.
	Stats []ServerStat
}

// ServerStat is one statistic of a figure, e.g. "p99".
type ServerStat struct {
	Name string
	ServerValue
}

// ServerValue is a number that remembers whether it was written as an integer.
type ServerValue struct {
	Value   float64
	Integer bool
}

// Get returns the statistic stat of figure name ("" for a scalar figure) and
// whether it is present.
func (m *ServerMetrics) Get(name, stat string) (float64, bool) {
	if m == nil {
		return 0, false
	}
	for _, f := range m.Figures {
		if f.Name != name {
			continue
		}
		for _, s := range f.Stats {
			if s.Name == stat {
				return s.Value, true
			}
		}
	}
	return 0, false
}

// Set stores a statistic (stat "" makes a scalar figure), keeping the order
// in which figures and statistics were first set.
func (m *ServerMetrics) Set(name, stat string, v float64, integer bool) {
	val := ServerStat{Name: stat, ServerValue: ServerValue{Value: v, Integer: integer}}
	for i := range m.Figures {
		f := &m.Figures[i]
		if f.Name != name {
			continue
		}
		for j := range f.Stats {
			if f.Stats[j].Name == stat {
				f.Stats[j] = val
				return
			}
		}
		f.Stats = append(f.Stats, val)
		return
	}
	m.Figures = append(m.Figures, ServerFigure{Name: name, Scalar: stat == "", Stats: []ServerStat{val}})
}
