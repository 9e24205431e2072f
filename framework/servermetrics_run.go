package framework

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/servermetrics"
)

// Server metrics modes (Settings.ServerMetrics, NativeRunner.ServerMetrics).
const (
	// ServerMetricsAuto scrapes /metrics when it answers with vLLM's families.
	ServerMetricsAuto = ""
	// ServerMetricsScrape scrapes /metrics and fails before the load when it cannot.
	ServerMetricsScrape = "scrape"
	// ServerMetricsOff collects nothing from the server.
	ServerMetricsOff = "off"
)

// stageMarks records when each stage was first seen running.
type stageMarks struct {
	mu     sync.Mutex
	starts []time.Time
}

func (m *stageMarks) see(stage int, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.starts) <= stage {
		m.starts = append(m.starts, at)
	}
}

// startServerMetrics starts scraping the target's /metrics (per the runner's
// mode) and returns the function that stops it and attaches the figures of
// each stage and of the whole run to the result.
func (r *NativeRunner) startServerMetrics(ctx context.Context, o *loadgen.Options) (func(*loadgen.Result), error) {
	none := func(*loadgen.Result) {}
	if r.ServerMetrics == ServerMetricsOff {
		return none, nil
	}
	if r.Prometheus.URL != "" {
		return r.queryPrometheusAfter(ctx, o), nil
	}
	sc, err := servermetrics.Start(ctx, servermetrics.Target{
		URL: o.BaseURL + "/metrics", APIKey: o.APIKey, Headers: o.Headers,
		Interval: r.ServerMetricsInterval, Client: r.HTTPClient,
	})
	if err != nil {
		if r.ServerMetrics == ServerMetricsAuto {
			return none, nil
		}
		if errors.Is(err, servermetrics.ErrNotVLLM) {
			return nil, fmt.Errorf("%s=scrape: %w; set it to off for a server that is not vLLM", EnvServerMetrics, err)
		}
		return nil, fmt.Errorf("%s=scrape: %w", EnvServerMetrics, err)
	}
	marks := &stageMarks{}
	r.trackStages(o, marks)
	start := time.Now()
	return func(res *loadgen.Result) {
		sc.Stop(ctx)
		if res != nil && res.Report != nil {
			attachServerMetrics(res.Report, sc, marks, start, time.Now())
		}
	}, nil
}

// trackStages wraps the progress callback so it also records stage starts at
// the scrape interval, while the caller's callback keeps its own cadence.
func (r *NativeRunner) trackStages(o *loadgen.Options, marks *stageMarks) {
	user, every := o.Progress, o.ProgressEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	tick := r.ServerMetricsInterval
	if tick <= 0 {
		tick = servermetrics.DefaultInterval
	}
	var last time.Duration
	o.ProgressEvery = min(every, tick)
	o.Progress = func(p loadgen.Progress) {
		if p.Stage >= 0 {
			marks.see(p.Stage, time.Now())
		}
		if user != nil && p.Elapsed-last >= every-o.ProgressEvery/2 {
			last = p.Elapsed
			user(p)
		}
	}
}

// windower computes server figures, and the server's state at each scrape,
// over a time window.
type windower interface {
	Window(from, to time.Time) *report.ServerMetrics
	Timeline(from, to time.Time) []report.ServerSample
}

// attachServerMetrics sets Server on each stage of rep (from its start as
// the progress ticks saw it to the next stage's) and on the summary.
func attachServerMetrics(rep *report.Report, w windower, marks *stageMarks, first, last time.Time) {
	marks.mu.Lock()
	starts := append([]time.Time(nil), marks.starts...)
	marks.mu.Unlock()
	for i := range rep.Stages {
		id := rep.Stages[i].ID
		from, to := first, last
		if id > 0 && id < len(starts) {
			from = starts[id]
		}
		if id+1 < len(starts) {
			to = starts[id+1]
		}
		rep.Stages[i].Server = withSamples(w.Window(from, to), w, from, to)
	}
	rep.Summary.Server = withSamples(w.Window(first, last), w, first, last)
}

// withSamples gives m (when not nil) the server's state at each scrape of its window.
func withSamples(m *report.ServerMetrics, w windower, from, to time.Time) *report.ServerMetrics {
	if m != nil {
		m.Samples = w.Timeline(from, to)
	}
	return m
}

// queryPrometheusAfter notes the run's stage times and returns the function
// that, once the run is over and Prometheus has scraped it, queries the
// server figures of each stage and of the run.
func (r *NativeRunner) queryPrometheusAfter(ctx context.Context, o *loadgen.Options) func(*loadgen.Result) {
	marks := &stageMarks{}
	r.trackStages(o, marks)
	p := r.Prometheus
	if p.Step <= 0 {
		p.Step = DefaultPrometheusScrapeInterval
	}
	start := time.Now()
	return func(res *loadgen.Result) {
		if res == nil || res.Report == nil {
			return
		}
		end := time.Now()
		// Wait for a scrape that sees the final counters, and for its ingestion.
		select {
		case <-time.After(2 * p.Step):
		case <-ctx.Done():
		}
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		end = end.Add(2 * p.Step) // the scrape after the run ends
		samples, err := servermetrics.Query(qctx, p, start.Add(-2*p.Step), end)
		if err != nil {
			res.Report.Summary.Server = &report.ServerMetrics{Source: report.ServerFromPrometheus, Note: err.Error()}
			return
		}
		attachServerMetrics(res.Report, samples, marks, start, end)
		if res.Report.Summary.Server == nil {
			res.Report.Summary.Server = &report.ServerMetrics{Source: report.ServerFromPrometheus,
				Note: fmt.Sprintf("Prometheus holds no vLLM series matching %s over the run; check %s and that Prometheus scrapes the target", p.Selector, EnvPrometheusSelector)}
		}
	}
}

// DefaultPrometheusScrapeInterval is Prometheus's default scrape interval,
// used as the query step when NativeRunner.Prometheus.Step is zero.
const DefaultPrometheusScrapeInterval = 15 * time.Second

// configureServerMetrics copies the server metrics settings onto the runner.
func (r *NativeRunner) configureServerMetrics(s Settings) {
	r.ServerMetrics = s.ServerMetrics
	r.Prometheus.URL, r.Prometheus.Selector, r.Prometheus.BearerToken = s.PrometheusURL, s.PrometheusSelector, s.PrometheusToken
	r.Prometheus.Step = s.PrometheusInterval
}
