package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// obj is a JSON object that keeps its key order, as inference-perf's files do.
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.k, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// num is a float written as JSON, with null for NaN and infinities.
func num(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// known is num, with null for 0: the Stage fields use 0 for "not known".
func known(f float64) any {
	if f == 0 {
		return nil
	}
	return num(f)
}

// statsJSON renders d as an inference-perf STATS block (mean, min, max, then
// the standard percentiles it can answer), or null when d is nil or empty.
func statsJSON(d Distribution, extra ...kv) any {
	if d == nil || d.Count() == 0 {
		return nil
	}
	o := obj(extra)
	o = append(o, kv{"mean", num(d.Mean())}, kv{"min", num(d.Min())}, kv{"max", num(d.Max())})
	for _, p := range StandardPercentiles() {
		if v, err := d.Percentile(p); err == nil {
			o = append(o, kv{statsKey(p), num(v)})
		}
	}
	return o
}

// StageJSON renders a stage in inference-perf's current lifecycle format,
// plus a "tailgate" block holding what that format has no place for
// (partial flag, generator self-checks, latency from the scheduled send).
func StageJSON(s Stage) json.Marshaler {
	return stageObj(s, nil)
}

func stageObj(s Stage, r *Report) obj {
	out := obj{
		{"benchmark_time_seconds", known(s.Duration.Seconds())},
		{"load_summary", loadObj(s)},
		{"successes", successesObj(s)},
		{"failures", failuresObj(s)},
	}
	if ext := extensionObj(s, r); ext != nil {
		out = append(out, kv{"tailgate", ext})
	}
	return out
}

// dist returns s's distribution of m, nil when it has none.
func (s Stage) dist(m Metric) Distribution {
	d, _ := s.Distribution(m)
	return d
}

func loadObj(s Stage) obj {
	load := append(obj{{"count", s.Requests}}, sectionObj(s, SectionLoad, false)...)
	if s.ID < 0 {
		return load
	}
	load = append(load,
		kv{"send_duration", known(s.SendDuration.Seconds())},
		kv{"requested_rate", known(s.RequestedRate)},
		kv{"achieved_rate", known(s.AchievedRate)})
	if s.Concurrency > 0 {
		load = append(load, kv{"concurrency", s.Concurrency})
	}
	return load
}

// sectionObj renders the STATS block of every registry metric placed in the
// block named section; with present set, only the metrics s holds.
func sectionObj(s Stage, section string, present bool) obj {
	o := obj{}
	for _, i := range MetricsWhere(func(i MetricInfo) bool { return i.Section == section }) {
		d := s.dist(i.Metric)
		if present && d == nil {
			continue
		}
		o = append(o, kv{i.FileKey(), statsJSON(d)})
	}
	return o
}

func throughputObj(tp Throughput) obj {
	o := obj{}
	for _, i := range MetricsWhere(func(i MetricInfo) bool { return i.Section == SectionThroughput }) {
		v, _ := i.Rate(tp)
		o = append(o, kv{i.FileKey(), num(v)})
	}
	return append(o, kv{"images_per_sec", 0.0}, kv{"videos_per_sec", 0.0}, kv{"audios_per_sec", 0.0})
}

func successesObj(s Stage) obj {
	var promptTokens any
	if d := s.dist(PromptTokens); d != nil && d.Count() != 0 {
		promptTokens = statsJSON(d,
			kv{"total", s.PromptTokensTotal},
			kv{"cached", s.CachedPromptTokens},
			kv{"uncached", s.PromptTokensTotal - s.CachedPromptTokens})
	}
	var outputTokens any
	if d := s.dist(OutputTokens); d != nil && d.Count() != 0 {
		outputTokens = statsJSON(d, kv{"total", s.OutputTokensTotal})
	}
	successes := obj{
		{"count", s.Successes},
		{"latency", sectionObj(s, SectionLatency, false)},
		{"throughput", throughputObj(s.Throughput)},
		{"request_size_bytes", nil},
		{"image", obj{{"count", 0}, {"pixels", nil}, {"bytes", nil}, {"aspect_ratio", nil}}},
		{"video", obj{{"count", 0}, {"frames", nil}, {"pixels", nil}, {"bytes", nil}, {"aspect_ratio", nil}}},
		{"audio", obj{{"count", 0}, {"seconds", nil}, {"bytes", nil}}},
		{string(PromptTokens), promptTokens},
		{string(OutputLen), statsJSON(s.dist(OutputLen))},
		{string(OutputTokens), outputTokens},
		{"token_count_mismatches", s.TokenCountMismatches},
	}
	if g := s.Goodput; g != nil {
		successes = append(successes, kv{"goodput_metrics", goodputObj(g)})
	}
	return successes
}

func goodputObj(g *Goodput) obj {
	gm := obj{
		{"goodput_percentage", num(g.Percentage)},
		{"request_goodput", num(g.RequestGoodput)},
		{"token_goodput", num(g.TokenGoodput)},
		{"good_requests", g.GoodRequests},
		{"total_requests", g.TotalRequests},
	}
	for _, m := range sortedMetrics(g.Attainment) {
		gm = append(gm, kv{m.Info().Key + "_attainment_percentage", num(g.Attainment[m])})
	}
	return gm
}

func failuresObj(s Stage) obj {
	o := append(obj{{"count", s.Failures}}, sectionObj(s, SectionFailures, false)...)
	return append(o, kv{"prompt_tokens", nil}, kv{"by_label", byLabelObj(s.FailuresByLabel)})
}

// byLabelObj renders the failure labels, the most frequent first.
func byLabelObj(fls map[string]FailureLabel) obj {
	labels := make([]string, 0, len(fls))
	for l := range fls {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		a, b := fls[labels[i]], fls[labels[j]]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return labels[i] < labels[j]
	})
	byLabel := obj{}
	for _, l := range labels {
		fl := fls[l]
		msgs := make([]any, len(fl.Messages))
		for i, m := range fl.Messages {
			msgs[i] = obj{{"message", m}}
		}
		byLabel = append(byLabel, kv{l, obj{{"count", fl.Count}, {"messages", msgs}}})
	}
	return byLabel
}

func extensionObj(s Stage, r *Report) obj {
	partial, reason := s.Partial, ""
	if r != nil {
		partial, reason = r.Partial, r.PartialReason
	}
	ext := obj{}
	if partial {
		ext = append(ext, kv{"partial", true})
		if reason != "" {
			ext = append(ext, kv{"partial_reason", reason})
		}
	}
	if lat := sectionObj(s, SectionFromSchedule, true); len(lat) > 0 {
		ext = append(ext, kv{"latency_from_schedule", lat})
	}
	if o := s.OutputLength; o != nil {
		ext = append(ext, kv{"output_length", outputLengthObj(o)})
	}
	if g := s.Generator; g != nil {
		ext = append(ext, kv{"generator", obj{
			{"engine", g.Engine},
			{"scheduled", g.Scheduled},
			{"sent", g.Sent},
			{"workers", g.Workers},
			{"in_flight_limit", g.InFlightLimit},
			{"in_flight_limit_hits", g.InFlightLimitHits},
			{"max_in_flight", g.MaxInFlight},
		}})
	}
	if len(ext) == 0 {
		return nil
	}
	return ext
}

func outputLengthObj(o *OutputLength) obj {
	return obj{
		{"exact_required", o.ExactRequired},
		{"answered", o.Answered},
		{"requested", o.Requested},
		{"received", o.Received},
		{"short", o.Short},
		{"long", o.Long},
		{"empty", o.Empty},
		{"unverified", o.Unverified},
	}
}

func sortedMetrics[V any](m map[Metric]V) []Metric {
	out := make([]Metric, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// JSON renders the report as {"summary": …, "stages": [...]}, each element in
// inference-perf's current lifecycle format (seconds), whatever the source.
func (r *Report) JSON() ([]byte, error) {
	stages := make([]any, len(r.Stages))
	for i, s := range r.Stages {
		stages[i] = stageObj(s, nil)
	}
	summary := r.Summary
	summary.ID = -1
	return json.MarshalIndent(obj{{"summary", stageObj(summary, r)}, {"stages", stages}}, "", "  ")
}

// WriteDir writes r into dir (created if needed) as inference-perf's current
// lifecycle report files: summary_lifecycle_metrics.json and one
// stage_<N>_lifecycle_metrics.json per stage with at least one request, plus
// the interval histogram logs and timelines, the server metrics, report.html
// (without verdicts) and the extra files given (per-request records, JUnit,
// summary, report.html with verdicts). Percentiles
// come from each distribution (any percentile for a Histogram, those present
// for file-backed stats). The directory is replaced as a whole: see WriteFiles.
func WriteDir(dir string, r *Report, extra ...File) error {
	if r == nil {
		return fmt.Errorf("write report: nil report")
	}
	files := lifecycleFiles(r)
	files = append(files, timelineFiles(r)...)
	files = append(files, serverFiles(r)...)
	files = append(files, shardFiles(r)...)
	files = append(files, experimentFiles(r)...)
	files = append(files, HTMLReportFile(r, nil))
	return WriteFiles(dir, replaceFiles(files, extra)...)
}

// replaceFiles appends extra to files; an extra file replaces the file of
// the same name (report.html with verdicts replaces the one without).
func replaceFiles(files, extra []File) []File {
	byName := make(map[string]int, len(files))
	for i, f := range files {
		byName[f.Name] = i
	}
	for _, f := range extra {
		if i, ok := byName[f.Name]; ok {
			files[i] = f
			continue
		}
		byName[f.Name] = len(files)
		files = append(files, f)
	}
	return files
}

// lifecycleFiles renders the summary and every stage with a request.
func lifecycleFiles(r *Report) []File {
	summary := r.Summary
	summary.ID = -1
	files := []File{jsonFile(SummaryFile, stageObj(summary, r))}
	for _, s := range r.Stages {
		if s.Requests == 0 && s.Successes+s.Failures == 0 {
			continue
		}
		files = append(files, jsonFile(StageFile(s.ID), stageObj(s, nil)))
	}
	return files
}

func jsonFile(name string, o obj) File {
	return File{Name: name, Write: func(w io.Writer) error {
		data, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(data, '\n'))
		return err
	}}
}
