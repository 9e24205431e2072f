package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// SeriesMetrics are the latency metrics a time series follows (P50 and P99 per interval).
func SeriesMetrics() []Metric {
	return metricsWhere(func(i MetricInfo) bool { return i.OverTime })
}

// SeriesPoint is one interval of a stage's time series.
type SeriesPoint struct {
	// Stage is the stage's ID.
	Stage int
	// At is the interval's start from the start of the run's first stage.
	At time.Duration
	// Length is the interval's length.
	Length time.Duration
	// RequestedRate is the stage's requested rate, 0 for concurrency stages.
	RequestedRate float64
	// AchievedRate is sends per second in the interval.
	AchievedRate float64
	// InFlight is the number of requests in flight at the interval's end.
	InFlight int64
	// Completed and Errors count requests that ended in the interval, and those that failed.
	Completed, Errors int64
	// ErrorsByLabel splits Errors by failure label.
	ErrorsByLabel map[string]int64
	// P50 and P99 hold each series metric's percentiles in seconds; NaN when
	// the interval has no sample of the metric.
	P50, P99 map[Metric]float64
}

// Series returns the per-interval time series of every stage with a
// timeline, in time order; nil when the report has no timeline.
func (r *Report) Series() ([]SeriesPoint, error) {
	var origin time.Time
	for _, s := range r.Stages {
		if s.Timeline != nil && (origin.IsZero() || s.Timeline.Start.Before(origin)) {
			origin = s.Timeline.Start
		}
	}
	var out []SeriesPoint
	for _, s := range r.Stages {
		if s.Timeline == nil {
			continue
		}
		shift := s.Timeline.Start.Sub(origin)
		for _, iv := range s.Timeline.Intervals {
			p, err := seriesPoint(s, iv, shift)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Name(), err)
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func seriesPoint(s Stage, iv Interval, shift time.Duration) (SeriesPoint, error) {
	p := SeriesPoint{
		Stage: s.ID, At: shift + iv.Start, Length: iv.Length, RequestedRate: s.RequestedRate,
		AchievedRate: iv.AchievedRate(), InFlight: iv.InFlight, Completed: iv.Completed,
		Errors: iv.Failed, ErrorsByLabel: iv.FailuresByLabel,
		P50: map[Metric]float64{}, P99: map[Metric]float64{},
	}
	for _, m := range SeriesMetrics() {
		p.P50[m], p.P99[m] = math.NaN(), math.NaN()
		if iv.Count(m) == 0 {
			continue
		}
		h, err := iv.Histogram(m)
		if err != nil {
			return p, err
		}
		p.P50[m], _ = h.Percentile(50)
		p.P99[m], _ = h.Percentile(99)
	}
	return p, nil
}

// WriteTimeline prints the time series as a table: one row per interval.
// A report without timelines is an error saying which files it needs.
func (r *Report) WriteTimeline(w io.Writer) error {
	pts, err := r.Series()
	if err != nil {
		return err
	}
	if len(pts) == 0 {
		return fmt.Errorf("%s has no timeline: it needs the stage_<N>_timeline.jsonl and .hlog files the native engine writes (inference-perf's files hold totals only)", sourceName(r))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"stage", "t", "req/s asked", "req/s sent", "in flight", "done", "errors"}
	for _, m := range SeriesMetrics() {
		head = append(head, shortName(m)+" p50", shortName(m)+" p99")
	}
	server := serverColumns(r)
	head = append(head, server.head()...)
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, p := range pts {
		row := []string{
			fmt.Sprint(p.Stage), fmt.Sprintf("%.1fs", p.At.Seconds()), rate(p.RequestedRate),
			trimFloat(p.AchievedRate, 2), fmt.Sprint(p.InFlight), fmt.Sprint(p.Completed), fmt.Sprint(p.Errors),
		}
		for _, m := range SeriesMetrics() {
			row = append(row, FormatValue(m, p.P50[m]), FormatValue(m, p.P99[m]))
		}
		row = append(row, server.cells(p)...)
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeErrorLabels(w, pts)
}

// writeErrorLabels lists the failure labels seen and the intervals they hit.
func writeErrorLabels(w io.Writer, pts []SeriesPoint) error {
	byLabel := map[string][]string{}
	for _, p := range pts {
		for l, n := range p.ErrorsByLabel {
			byLabel[l] = append(byLabel[l], fmt.Sprintf("%.0fs:%d", p.At.Seconds(), n))
		}
	}
	labels := make([]string, 0, len(byLabel))
	for l := range byLabel {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		if _, err := fmt.Fprintf(w, "errors %q at %s\n", l, strings.Join(byLabel[l], " ")); err != nil {
			return err
		}
	}
	return nil
}

func sourceName(r *Report) string {
	if r.Source != "" {
		return r.Source
	}
	return "the report"
}

// shortName is the column name of a metric: TTFT, ITL, latency.
func shortName(m Metric) string { return m.Info().Column }

// PercentilesJSON answers the percentiles ps of every distribution of the
// summary and each stage, as {"summary": {metric: {"count": n, "p99.99": v}},
// "stages": [...]}, values in seconds (tokens for token metrics). A
// distribution that cannot answer one of ps fails the whole call with an
// error naming the stage, the metric and the percentiles it can answer.
func (r *Report) PercentilesJSON(ps []float64) ([]byte, error) {
	summary, err := stagePercentiles(r.Summary, ps)
	if err != nil {
		return nil, err
	}
	stages := make([]any, 0, len(r.Stages))
	for _, s := range r.Stages {
		o, err := stagePercentiles(s, ps)
		if err != nil {
			return nil, err
		}
		stages = append(stages, o)
	}
	return json.MarshalIndent(obj{{"summary", summary}, {"stages", stages}}, "", "  ")
}

func stagePercentiles(s Stage, ps []float64) (obj, error) {
	out := obj{}
	for _, m := range sortedMetrics(s.Distributions) {
		d := s.Distributions[m]
		if d == nil || d.Count() == 0 {
			continue
		}
		o := obj{{"count", d.Count()}}
		for _, p := range ps {
			v, err := d.Percentile(p)
			if errors.Is(err, ErrLineStamped) {
				// No percentile of this metric means anything; say why, keep the others.
				o = append(o, kv{"refused", err.Error()})
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", s.Name(), m, err)
			}
			o = append(o, kv{PercentileName(p), num(v)})
		}
		out = append(out, kv{string(m), o})
	}
	return out, nil
}
