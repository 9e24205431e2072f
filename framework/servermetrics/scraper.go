// Package servermetrics collects a vLLM server's own metrics while a load
// runs: it scrapes the target's /metrics at a fixed interval, maps the metric
// names of vLLM releases onto one set of quantities, sums them across the
// series (replicas) it sees, and computes per-window figures (queue length,
// KV-cache usage, preemptions, server-side latency percentiles) in the shape
// of inference-perf's prometheus report.
package servermetrics

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// DefaultInterval is the scrape interval when Target.Interval is zero.
const DefaultInterval = time.Second

// maxBody caps one /metrics response; vLLM's is a few hundred KB.
const maxBody = 16 << 20

// ErrNotVLLM means /metrics answered but without vLLM's scheduler families.
var ErrNotVLLM = errors.New("/metrics has no vllm:num_requests_running or vllm:num_requests_waiting family")

// Target names the server to scrape.
type Target struct {
	// URL is the metrics URL, e.g. http://vllm:8000/metrics.
	URL string
	// APIKey, when set, is sent as a bearer token; it is never printed.
	APIKey string
	// Headers are sent with every scrape (the scenario's API headers).
	Headers map[string]string
	// Interval is the time between scrapes; 0 means DefaultInterval.
	Interval time.Duration
	// Client performs the scrapes; nil uses a client with a 10 s timeout.
	Client *http.Client
	// WorstWidth is the width of the intervals searched for the worst one; 0 means DefaultWorstWidth.
	WorstWidth time.Duration
}

// Scraper scrapes one target in the background and keeps every scrape,
// reduced to the quantities it reports.
type Scraper struct {
	t    Target
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	samples []sample
	failed  int
	lastErr error
}

// Scrape fetches and parses the target's /metrics once.
func Scrape(ctx context.Context, t Target) (map[string]*dto.MetricFamily, error) {
	c := t.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("metrics request: %w", err)
	}
	for k, v := range t.Headers {
		req.Header.Set(k, v)
	}
	if t.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+t.APIKey)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: HTTP %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("parse /metrics: %w", err)
	}
	return fams, nil
}

// Start scrapes once (failing with ErrNotVLLM when the target is not vLLM),
// then keeps scraping every interval until Stop.
func Start(ctx context.Context, t Target) (*Scraper, error) {
	if t.Interval <= 0 {
		t.Interval = DefaultInterval
	}
	fams, err := Scrape(ctx, t)
	if err != nil {
		return nil, err
	}
	if !IsVLLM(fams) {
		return nil, ErrNotVLLM
	}
	s := &Scraper{t: t, stop: make(chan struct{}), done: make(chan struct{})}
	s.samples = append(s.samples, sample{at: time.Now(), snap: reduce(fams)})
	go s.loop(context.WithoutCancel(ctx))
	return s, nil
}

func (s *Scraper) loop(ctx context.Context) {
	defer close(s.done)
	tick := time.NewTicker(s.t.Interval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.scrapeOnce(ctx)
		}
	}
}

func (s *Scraper) scrapeOnce(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.t.Interval*5)
	defer cancel()
	fams, err := Scrape(ctx, s.t)
	at := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failed++
		s.lastErr = scenarios.RedactError(err, s.t.URL)
		return
	}
	s.samples = append(s.samples, sample{at: at, snap: reduce(fams)})
}

// Stop takes a last scrape, so the figures cover the whole run, and stops.
func (s *Scraper) Stop(ctx context.Context) {
	select {
	case <-s.stop:
		return
	default:
	}
	close(s.stop)
	<-s.done
	s.scrapeOnce(context.WithoutCancel(ctx)) // an interrupted run still gets its final counters
}

// Window returns the server figures over [from, to], or nil when fewer than
// two scrapes span it. Its note names failed scrapes, if any.
func (s *Scraper) Window(from, to time.Time) *report.ServerMetrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := window(s.samples, from, to, report.ServerFromScrape)
	if m != nil {
		m.Worst = worst(s.samples, from, to, cmp.Or(s.t.WorstWidth, DefaultWorstWidth), report.ServerFromScrape)
	}
	if m != nil && s.failed > 0 {
		m.Note += fmt.Sprintf("; %d scrapes failed (last: %v)", s.failed, s.lastErr)
	}
	return m
}

// Span returns the times of the first and the last scrape.
func (s *Scraper) Span() (first, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.samples) == 0 {
		return
	}
	return s.samples[0].at, s.samples[len(s.samples)-1].at
}
