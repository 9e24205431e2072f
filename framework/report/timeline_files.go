package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// HlogFile returns the interval log file name of metric m in stage id,
// e.g. stage_0_time_to_first_token.hlog.
func HlogFile(id int, m Metric) string { return fmt.Sprintf("stage_%d_%s.hlog", id, m) }

// TimelineFile returns the per-interval counters file of stage id, e.g. stage_0_timeline.jsonl.
func TimelineFile(id int) string { return fmt.Sprintf("stage_%d_timeline.jsonl", id) }

// intervalLine is one line of a timeline file.
type intervalLine struct {
	Interval        int              `json:"interval"`
	StartUnixMs     int64            `json:"start_unix_ms"`
	StartS          float64          `json:"start_s"`
	LengthS         float64          `json:"length_s"`
	Sent            int64            `json:"sent"`
	Completed       int64            `json:"completed"`
	Failed          int64            `json:"failed"`
	FailuresByLabel map[string]int64 `json:"failures_by_label,omitempty"`
	InFlight        int64            `json:"in_flight"`
	OutputTokens    int64            `json:"output_tokens"`
	AchievedRate    float64          `json:"achieved_rate"`
}

// timelineFiles renders, for every stage with a timeline, one HdrHistogram
// interval log per metric and the stage's timeline.jsonl.
func timelineFiles(r *Report) []File {
	var files []File
	for _, s := range r.Stages {
		if s.Timeline == nil || len(s.Timeline.Intervals) == 0 {
			continue
		}
		for _, m := range s.Timeline.Metrics() {
			id, m, tl := s.ID, m, s.Timeline
			files = append(files, File{Name: HlogFile(id, m), Write: func(w io.Writer) error { return writeHlog(w, id, m, tl) }})
		}
		tl := s.Timeline
		files = append(files, File{Name: TimelineFile(s.ID), Write: func(w io.Writer) error { return writeTimelineLines(w, tl) }})
	}
	return files
}

// writeFileWith creates path and fills it with fill through a buffer.
func writeFileWith(path string, fill func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := fill(bw); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// unitComment states what an .hlog's integer values mean.
func unitComment(m Metric) string {
	if MetricKind(m) == KindTokens {
		return "values in tokens (the Interval_Max column is the maximum divided by 1,000,000)"
	}
	return "values in microseconds (the Interval_Max column is therefore in seconds)"
}

// writeHlog writes one metric's intervals in the standard HdrHistogram
// interval log format, with timestamps relative to a whole-second base time.
func writeHlog(w io.Writer, stage int, m Metric, t *Timeline) error {
	lw := hdrhistogram.NewHistogramLogWriter(w)
	startMs := t.Start.UnixMilli()
	baseMs := startMs - startMs%1000
	steps := []func() error{
		func() error {
			return lw.OutputComment(fmt.Sprintf("tailgate interval log: stage %d, %s; %s", stage, m, unitComment(m)))
		},
		lw.OutputLogFormatVersion,
		func() error { return lw.OutputStartTime(startMs) },
		func() error { return lw.OutputBaseTime(baseMs) },
		lw.OutputLegend,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	lw.SetBaseTime(baseMs)
	for _, iv := range t.Intervals {
		e, ok := iv.hist[m]
		if !ok {
			return fmt.Errorf("the interval at %s has no %s histogram", iv.Start, m)
		}
		hd, err := hdrhistogram.Decode(e.data)
		if err != nil {
			return fmt.Errorf("decoding the %s histogram of the interval at %s: %w", m, iv.Start, err)
		}
		hd.SetStartTimeMs(startMs + iv.Start.Milliseconds())
		hd.SetEndTimeMs(startMs + iv.End().Milliseconds())
		hd.SetTag(string(m))
		if err := lw.OutputIntervalHistogram(hd); err != nil {
			return err
		}
	}
	return nil
}

func writeTimelineLines(w io.Writer, t *Timeline) error {
	enc := json.NewEncoder(w)
	startMs := t.Start.UnixMilli()
	for i, iv := range t.Intervals {
		l := intervalLine{
			Interval: i, StartUnixMs: startMs + iv.Start.Milliseconds(),
			StartS: iv.Start.Seconds(), LengthS: iv.Length.Seconds(),
			Sent: iv.Sent, Completed: iv.Completed, Failed: iv.Failed, FailuresByLabel: iv.FailuresByLabel,
			InFlight: iv.InFlight, OutputTokens: iv.OutputTokens,
			AchievedRate: math.Round(iv.AchievedRate()*1000) / 1000,
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// readTimelines attaches to each stage of r the timeline its files in dir
// hold, and replaces the stage's percentile-only distributions with the
// histograms the interval logs hold (mean, min and max stay those of the
// report file, which are exact). The summary's distributions become the
// merge of the stages' when every stage has a timeline. A directory without
// timeline files is left as read.
func readTimelines(dir string, r *Report) error {
	all := len(r.Stages) > 0
	for i := range r.Stages {
		t, err := readTimeline(dir, r.Stages[i].ID)
		if err != nil {
			return fmt.Errorf("read report dir %s: %w", dir, err)
		}
		if t == nil {
			all = false
			continue
		}
		r.Stages[i].Timeline = t
		if err := adoptHistograms(&r.Stages[i], t); err != nil {
			return fmt.Errorf("read report dir %s: %s: %w", dir, r.Stages[i].Name(), err)
		}
	}
	if all {
		summariseHistograms(r)
	}
	return nil
}

// readTimeline reads stage id's timeline; nil when the stage has none.
func readTimeline(dir string, id int) (*Timeline, error) {
	logs, err := filepath.Glob(filepath.Join(dir, fmt.Sprintf("stage_%d_*.hlog", id)))
	if err != nil {
		return nil, err
	}
	linesPath := filepath.Join(dir, TimelineFile(id))
	lines, err := readTimelineLines(linesPath)
	switch {
	case errors.Is(err, os.ErrNotExist) && len(logs) == 0:
		return nil, nil
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s is missing beside the stage's .hlog files: the per-interval counters cannot be read", TimelineFile(id))
	case err != nil:
		return nil, err
	}
	t := timelineFromLines(lines)
	sort.Strings(logs)
	for _, path := range logs {
		if err := readHlogInto(path, t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func readTimelineLines(path string) ([]intervalLine, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return decodeLines[intervalLine](filepath.Base(path), data)
}

func timelineFromLines(lines []intervalLine) *Timeline {
	t := &Timeline{Interval: DefaultInterval}
	if len(lines) == 0 {
		return t
	}
	t.Start = time.UnixMilli(lines[0].StartUnixMs - int64(math.Round(lines[0].StartS*1000)))
	t.Interval = secondsDuration(lines[0].LengthS)
	for _, l := range lines {
		t.Intervals = append(t.Intervals, Interval{
			Start: secondsDuration(l.StartS), Length: secondsDuration(l.LengthS),
			Sent: l.Sent, Completed: l.Completed, Failed: l.Failed, FailuresByLabel: l.FailuresByLabel,
			InFlight: l.InFlight, OutputTokens: l.OutputTokens,
		})
	}
	return t
}

func secondsDuration(s float64) time.Duration {
	return time.Duration(math.Round(s*1000)) * time.Millisecond
}

// readHlogInto reads one interval log with HdrHistogram's reader and stores
// its histograms, in order, into t's intervals.
func readHlogInto(path string, t *Timeline) error {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	lr := hdrhistogram.NewHistogramLogReader(f)
	var m Metric
	for i := 0; ; i++ {
		hd, err := lr.NextIntervalHistogram()
		if err != nil {
			return fmt.Errorf("%s: interval %d: %w", name, i+1, err)
		}
		if hd == nil {
			if i != len(t.Intervals) {
				return fmt.Errorf("%s holds %d intervals but the timeline file %d", name, i, len(t.Intervals))
			}
			return nil
		}
		if i >= len(t.Intervals) {
			return fmt.Errorf("%s holds more intervals than the timeline file (%d)", name, len(t.Intervals))
		}
		if m == "" {
			m = metricOfHlog(name, hd.Tag())
		}
		data, err := hd.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return fmt.Errorf("%s: interval %d: %w", name, i+1, err)
		}
		t.Intervals[i].setEncoded(m, data, hd.TotalCount())
	}
}

// metricOfHlog names the metric of a log: its tag, else the file name's metric part.
func metricOfHlog(name, tag string) Metric {
	if tag != "" {
		return Metric(tag)
	}
	rest := strings.TrimSuffix(name, ".hlog")
	if i := strings.Index(rest, "_"); i >= 0 {
		if j := strings.Index(rest[i+1:], "_"); j >= 0 {
			return Metric(rest[i+j+2:])
		}
	}
	return Metric(rest)
}

// adoptHistograms replaces s's distributions by the timeline's merged histograms.
func adoptHistograms(s *Stage, t *Timeline) error {
	if s.Distributions == nil {
		s.Distributions = map[Metric]Distribution{}
	}
	for _, m := range t.Metrics() {
		h, err := t.Merged(m)
		if err != nil {
			return err
		}
		if h == nil || h.Count() == 0 {
			continue
		}
		if old, ok := s.Distributions[m]; ok && old != nil {
			h.withStats(old.Mean(), old.Min(), old.Max())
		}
		s.Distributions[m] = h
	}
	return nil
}

// summariseHistograms gives the summary the merge of the stages' histograms,
// keeping the summary file's exact mean, min and max.
func summariseHistograms(r *Report) {
	merged := map[Metric]*Histogram{}
	for _, s := range r.Stages {
		for m, d := range s.Distributions {
			h, ok := d.(*Histogram)
			if !ok {
				continue
			}
			if merged[m] == nil {
				merged[m] = h.Clone()
				continue
			}
			merged[m].Merge(h)
		}
	}
	if r.Summary.Distributions == nil {
		r.Summary.Distributions = map[Metric]Distribution{}
	}
	for m, h := range merged {
		if old, ok := r.Summary.Distributions[m]; ok && old != nil {
			h.withStats(old.Mean(), old.Min(), old.Max())
		}
		r.Summary.Distributions[m] = h
	}
}
