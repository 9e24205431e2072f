package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"
)

// ServerTimelineFile holds the server's state at each scrape of a run, one
// JSON object a line (see ServerSample).
const ServerTimelineFile = "server_timeline.jsonl"

// ServerSample is the server's state at one scrape: the scheduler gauges
// summed over the series (KV-cache usage: the fullest series) and the
// preemption counter. A quantity the server did not export is NaN.
type ServerSample struct {
	// At is when the scrape (or the Prometheus query step) saw these values.
	At time.Time
	// Waiting and Running are the requests queued and in the running batch.
	Waiting, Running float64
	// KVCacheUsage is the KV-cache usage as a fraction of 1.
	KVCacheUsage float64
	// Preemptions is the cumulative preemption counter (not the increase).
	Preemptions float64
}

// serverSampleLine is one line of the server timeline file; absent values are omitted.
type serverSampleLine struct {
	UnixMs       int64    `json:"unix_ms"`
	Waiting      *float64 `json:"waiting,omitempty"`
	Running      *float64 `json:"running,omitempty"`
	KVCacheUsage *float64 `json:"kv_cache_usage,omitempty"`
	Preemptions  *float64 `json:"preemptions_total,omitempty"`
}

func present(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func orNaN(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// writeServerTimeline writes samples as the server timeline file.
func writeServerTimeline(w io.Writer, samples []ServerSample) error {
	enc := json.NewEncoder(w)
	for _, s := range samples {
		l := serverSampleLine{UnixMs: s.At.UnixMilli(), Waiting: present(s.Waiting), Running: present(s.Running),
			KVCacheUsage: present(s.KVCacheUsage), Preemptions: present(s.Preemptions)}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// readServerTimeline reads dir's server timeline file; nil without one.
func readServerTimeline(dir string) ([]ServerSample, error) {
	data, err := os.ReadFile(filepath.Join(dir, ServerTimelineFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lines, err := decodeLines[serverSampleLine](ServerTimelineFile, data)
	if err != nil {
		return nil, err
	}
	out := make([]ServerSample, 0, len(lines))
	for _, l := range lines {
		out = append(out, ServerSample{At: time.UnixMilli(l.UnixMs), Waiting: orNaN(l.Waiting), Running: orNaN(l.Running),
			KVCacheUsage: orNaN(l.KVCacheUsage), Preemptions: orNaN(l.Preemptions)})
	}
	return out, nil
}

// attachServerTimeline gives the summary's server metrics every sample of
// dir's server timeline and each stage with a client timeline the samples
// inside its span.
func attachServerTimeline(dir string, r *Report) error {
	samples, err := readServerTimeline(dir)
	if err != nil || samples == nil {
		return err
	}
	if r.Summary.Server == nil {
		r.Summary.Server = &ServerMetrics{Source: ServerFromScrape}
	}
	r.Summary.Server.Samples = samples
	for i := range r.Stages {
		s := &r.Stages[i]
		if s.Server == nil || s.Timeline == nil || len(s.Timeline.Intervals) == 0 {
			continue
		}
		from := s.Timeline.Start
		to := from.Add(s.Timeline.Intervals[len(s.Timeline.Intervals)-1].End())
		s.Server.Samples = SamplesBetween(samples, from, to)
	}
	return nil
}

// SamplesBetween returns the samples inside [from, to], with the last one
// before from (the baseline a counter's increase is measured from).
func SamplesBetween(samples []ServerSample, from, to time.Time) []ServerSample {
	lo, hi := 0, 0
	for i, s := range samples {
		if !s.At.After(from) {
			lo = i
		}
		if !s.At.After(to) {
			hi = i + 1
		}
	}
	if hi <= lo {
		return nil
	}
	return samples[lo:hi]
}

// ServerStateOver is the server's state over [from, to] from the samples:
// the peaks of the gauges and the preemptions in the span; NaN where the
// samples hold no value.
type ServerStateOver struct {
	// MaxWaiting, MaxRunning and MaxKVCacheUsage are the peaks seen at the scrapes in the span.
	MaxWaiting, MaxRunning, MaxKVCacheUsage float64
	// Preemptions is the increase of the preemption counter over the span.
	Preemptions float64
	// Scrapes is the number of samples inside the span.
	Scrapes int
}

// StateOver computes the server's state over [from, to] from samples; ok is
// false when no sample falls inside the span.
func StateOver(samples []ServerSample, from, to time.Time) (ServerStateOver, bool) {
	st := ServerStateOver{MaxWaiting: math.NaN(), MaxRunning: math.NaN(), MaxKVCacheUsage: math.NaN(), Preemptions: math.NaN()}
	in := SamplesBetween(samples, from, to)
	for i, s := range in {
		if i > 0 && !math.IsNaN(s.Preemptions) && !math.IsNaN(in[i-1].Preemptions) {
			st.Preemptions = orZero(st.Preemptions) + counterStep(in[i-1].Preemptions, s.Preemptions)
		}
		if s.At.Before(from) {
			continue // the baseline: its gauges describe the time before the span
		}
		st.Scrapes++
		st.MaxWaiting = peakOf(st.MaxWaiting, s.Waiting)
		st.MaxRunning = peakOf(st.MaxRunning, s.Running)
		st.MaxKVCacheUsage = peakOf(st.MaxKVCacheUsage, s.KVCacheUsage)
	}
	return st, st.Scrapes > 0
}

// peakOf is the larger of cur and v, ignoring NaN.
func peakOf(cur, v float64) float64 {
	if math.IsNaN(v) || (!math.IsNaN(cur) && cur >= v) {
		return cur
	}
	return v
}

func orZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// counterStep is a counter's growth between two samples, a drop (a
// restarted server) counting as growth from zero.
func counterStep(prev, cur float64) float64 {
	if cur >= prev {
		return cur - prev
	}
	return cur
}

// decodeLines decodes every non-blank line of data as one T, refusing
// unknown fields; an error names the file and the line.
func decodeLines[T any](name string, data []byte) ([]T, error) {
	var out []T
	for n, raw := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var l T
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, n+1, err)
		}
		out = append(out, l)
	}
	return out, nil
}
