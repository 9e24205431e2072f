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
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// File names inference-perf gives its lifecycle reports.
const (
	SummaryFile  = "summary_lifecycle_metrics.json"
	stageFileFmt = "stage_%d_lifecycle_metrics.json"
)

var stageFileRE = regexp.MustCompile(`^stage_(\d+)_lifecycle_metrics\.json$`)

// StageFile returns the lifecycle report file name of stage id.
func StageFile(id int) string { return fmt.Sprintf(stageFileFmt, id) }

// ReadDir reads the inference-perf lifecycle report files in dir
// (summary_lifecycle_metrics.json and stage_<N>_lifecycle_metrics.json) of any
// schema generation. Every key is optional: a metric absent or null in the
// file is absent from Distributions. The prometheus report files
// (summary_prometheus_metrics.json, stage_<N>_prometheus_metrics.json) fill
// Stage.Server; other files (per-request, per-adapter, config) are ignored. A missing summary marks the report
// partial. A file that is empty, truncated, not JSON or has a value of the
// wrong type is an error naming the file and the problem. Known measurement
// defects of the inference-perf release that wrote the files are corrected,
// or the figures they spoil refused (see CorrectLineStamping).
func ReadDir(dir string) (*Report, error) {
	r, err := ReadDirAsWritten(dir)
	if err != nil {
		return nil, err
	}
	correctGenerations(r) // known defects of the inference-perf release that wrote the files
	return r, nil
}

// ReadDirAsWritten reads dir as ReadDir does but keeps every figure as the
// files hold it, without correcting known defects of the release that wrote
// them. It is for tools that model those defects themselves (calibration
// against a real run); a gate judges ReadDir's report.
func ReadDirAsWritten(dir string) (*Report, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read report dir: %w", err)
	}
	r := &Report{Source: dir}
	haveSummary := false
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		id := -1
		if m := stageFileRE.FindStringSubmatch(name); m != nil {
			id, _ = strconv.Atoi(m[1])
		} else if name != SummaryFile {
			continue
		}
		st, ext, err := readFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		st.ID = id
		if id < 0 {
			haveSummary = true
			r.Summary = st
			if ext != nil {
				r.Partial = ext.Partial
				r.PartialReason = ext.PartialReason
			}
			continue
		}
		r.Stages = append(r.Stages, st)
	}
	if !haveSummary && len(r.Stages) == 0 {
		return nil, fmt.Errorf("read report dir %s: no inference-perf lifecycle report (%s or stage_<N>_lifecycle_metrics.json) found", dir, SummaryFile)
	}
	sort.Slice(r.Stages, func(i, j int) bool { return r.Stages[i].ID < r.Stages[j].ID })
	if !haveSummary {
		r.Summary = Stage{ID: -1, Partial: true}
		r.Partial = true
		r.PartialReason = joinReason(r.PartialReason, SummaryFile+" is missing")
	}
	for _, s := range r.Stages {
		if s.Partial && !r.Partial {
			r.Partial = true
			r.PartialReason = joinReason(r.PartialReason, s.Name()+" is partial")
		}
	}
	if err := readTimelines(dir, r); err != nil {
		return r, err
	}
	if err := readShardFile(dir, r); err != nil {
		return r, err
	}
	if err := readExperiment(dir, r); err != nil {
		return r, err
	}
	return attachServerMetrics(dir, r)
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// extension is tailgate's own block in a lifecycle file ("tailgate" key),
// carrying what inference-perf's format has no place for.
type extension struct {
	Partial       bool
	PartialReason string
}

// readFile parses one lifecycle report file into a Stage (ID left 0). The
// file is decoded as a stream, at most MaxReportFileBytes of it.
func readFile(path string) (Stage, *extension, error) {
	f, err := openReport(path)
	if err != nil {
		return Stage{}, nil, err
	}
	defer f.Close()
	st, ext, err := parse(f)
	if err != nil {
		return Stage{}, nil, fmt.Errorf("report file %s: %w", path, err)
	}
	return st, ext, nil
}

// ParseStage decodes the bytes of one lifecycle report file of any schema
// generation into a Stage (ID left 0).
func ParseStage(data []byte) (Stage, error) {
	st, _, err := parse(bytes.NewReader(data))
	return st, err
}

func parse(r io.Reader) (Stage, *extension, error) {
	dec := json.NewDecoder(newNonFiniteReader(r))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return Stage{}, nil, errors.New("empty file, want a JSON object")
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Stage{}, nil, fmt.Errorf("truncated JSON (the file ends before the object is closed): %w", err)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return Stage{}, nil, fmt.Errorf("not valid JSON at byte %d: %w", se.Offset, err)
		}
		return Stage{}, nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Stage{}, nil, errors.New("not valid JSON: extra data after the top-level object")
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return Stage{}, nil, fmt.Errorf("top level is %s, want a JSON object", typeName(root))
	}
	p := &parser{}
	st, ext := p.stage(obj)
	if p.err != nil {
		return Stage{}, nil, p.err
	}
	return st, ext, nil
}

// parser walks the decoded JSON, remembering the first type error.
type parser struct{ err error }

func (p *parser) fail(path, want string, v any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s: want %s, got %s", path, want, typeName(v))
	}
}

func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		if tok, ok := strings.CutPrefix(v, nonFinite); ok {
			return tok
		}
		return fmt.Sprintf("the string %q", v)
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// obj returns the object at key, nil when absent or null.
func (p *parser) obj(m map[string]any, key, path string) map[string]any {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		p.fail(path+key, "an object", v)
		return nil
	}
	return o
}

// num returns the number at key; ok is false when absent or null.
func (p *parser) num(m map[string]any, key, path string) (float64, bool) {
	v, ok := m[key]
	if !ok || v == nil {
		return 0, false
	}
	if tok, ok := v.(string); ok && strings.HasPrefix(tok, nonFinite) {
		p.refuse(path+key, strings.TrimPrefix(tok, nonFinite)+" (written by Python for a value it could not compute)")
		return 0, false
	}
	n, ok := v.(json.Number)
	if !ok {
		p.fail(path+key, "a number", v)
		return 0, false
	}
	f, err := n.Float64()
	if err != nil {
		p.fail(path+key, "a finite number", v)
		return 0, false
	}
	if problem := checkNumber(path+key, f); problem != "" {
		p.refuse(path+key, problem)
		return 0, false
	}
	return f, true
}

// refuse records an impossible value at path.
func (p *parser) refuse(path, problem string) {
	if p.err == nil {
		p.err = fmt.Errorf("%s: %s; the file is corrupt or not an inference-perf report, regenerate it", path, problem)
	}
}

func (p *parser) count(m map[string]any, key, path string) (int64, bool) {
	f, ok := p.num(m, key, path)
	if !ok {
		return 0, false
	}
	if f < 0 || f != math.Trunc(f) {
		p.fail(path+key, "a non-negative whole number", json.Number(strconv.FormatFloat(f, 'g', -1, 64)))
		return 0, false
	}
	return int64(f), true
}

func (p *parser) str(m map[string]any, key, path string) string {
	v, ok := m[key]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.fail(path+key, "a string", v)
	}
	return s
}

func (p *parser) boolean(m map[string]any, key, path string) bool {
	v, ok := m[key]
	if !ok || v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		p.fail(path+key, "true or false", v)
	}
	return b
}

// stats reads a STATS block at key with sample count n; nil when absent or null.
func (p *parser) stats(m map[string]any, key, path string, n int64) *Stats {
	o := p.obj(m, key, path)
	if o == nil {
		return nil
	}
	path += key + "."
	s := &Stats{N: n, Points: map[float64]float64{}}
	var ok bool
	s.MeanV, _ = p.num(o, "mean", path)
	if s.MinV, ok = p.num(o, "min", path); !ok {
		s.MinV = math.NaN()
	}
	if s.MaxV, ok = p.num(o, "max", path); !ok {
		s.MaxV = math.NaN()
	}
	for k := range o {
		if q, isP := parseStatsKey(k); isP {
			if v, ok := p.num(o, k, path); ok {
				s.Points[q] = v
			}
		}
	}
	if !math.IsNaN(s.MaxV) {
		s.Points[100] = s.MaxV
	}
	if len(s.Points) == 0 && math.IsNaN(s.MinV) {
		return nil // e.g. prompt_tokens with only totals
	}
	if problem := checkOrder(s); problem != "" {
		p.refuse(strings.TrimSuffix(path, "."), problem)
	}
	return s
}

func secs(f float64) time.Duration { return time.Duration(math.Round(f * float64(time.Second))) }

func (p *parser) stage(root map[string]any) (Stage, *extension) {
	st := Stage{Distributions: map[Metric]Distribution{}}
	_, hasBenchTime := root["benchmark_time_seconds"]
	if f, ok := p.num(root, "benchmark_time_seconds", ""); ok {
		st.Duration = secs(f)
	}
	if load := p.obj(root, "load_summary", ""); load != nil {
		p.loadSummary(load, &st)
	}
	var tokens promptFields
	if succ := p.obj(root, "successes", ""); succ != nil {
		tokens = p.successes(succ, &st)
	}
	hasByLabel := false
	if fail := p.obj(root, "failures", ""); fail != nil {
		hasByLabel = p.failures(fail, &st)
	}
	if st.Requests == 0 {
		st.Requests = st.Successes + st.Failures
	}
	st.Schema = schemaOf(hasByLabel, tokens, hasBenchTime)
	var ext *extension
	if tg := p.obj(root, "tailgate", ""); tg != nil {
		ext = p.extension(tg, &st)
	}
	return st, ext
}

// put stores s as m's distribution unless it is nil.
func (st *Stage) put(m Metric, s *Stats) {
	if s != nil {
		st.Distributions[m] = s
	}
}

// promptFields records which prompt-length keys a successes block holds,
// which tells the schema generations apart.
type promptFields struct{ promptLen, promptTokens bool }

// schemaOf names the report generation from the keys the file holds.
func schemaOf(hasByLabel bool, f promptFields, hasBenchTime bool) string {
	switch {
	case hasByLabel && !f.promptLen:
		return SchemaCurrent
	case hasByLabel:
		return SchemaV061
	case f.promptTokens:
		return SchemaV06
	case hasBenchTime:
		return SchemaV05
	}
	return SchemaV04
}

func (p *parser) loadSummary(load map[string]any, st *Stage) {
	const lp = "load_summary."
	st.Requests, _ = p.count(load, "count", lp)
	p.section(load, SectionLoad, st, st.Requests)
	if f, ok := p.num(load, "send_duration", lp); ok {
		st.SendDuration = secs(f)
	}
	st.RequestedRate, _ = p.num(load, "requested_rate", lp)
	st.AchievedRate, _ = p.num(load, "achieved_rate", lp)
	if c, ok := p.count(load, "concurrency", lp); ok {
		st.Concurrency = int(c)
	}
}

func (p *parser) successes(succ map[string]any, st *Stage) promptFields {
	const sp = "successes."
	st.Successes, _ = p.count(succ, "count", sp)
	if lat := p.obj(succ, "latency", sp); lat != nil {
		// ITL is pooled over token gaps, whose count the file does not hold;
		// gaps within a request are not independent, so the number of
		// successful requests is the honest (conservative) sample size.
		p.section(lat, SectionLatency, st, st.Successes)
	}
	if tp := p.obj(succ, "throughput", sp); tp != nil {
		for _, i := range MetricsWhere(func(i MetricInfo) bool { return i.Section == SectionThroughput }) {
			v, _ := p.num(tp, i.FileKey(), SectionThroughput+".")
			i.setRate(&st.Throughput, v)
		}
	}
	f := p.tokens(succ, st)
	st.TokenCountMismatches, _ = p.count(succ, "token_count_mismatches", sp)
	if g := p.obj(succ, "goodput_metrics", sp); g != nil {
		st.Goodput = p.goodput(g, sp+"goodput_metrics.")
	}
	return f
}

// section reads the STATS block of every registry metric placed in the
// block at path, each with sample count n.
func (p *parser) section(block map[string]any, path string, st *Stage, n int64) {
	for _, i := range MetricsWhere(func(i MetricInfo) bool { return i.Section == path }) {
		st.put(i.Metric, p.stats(block, i.FileKey(), path+".", n))
	}
}

// tokens reads the prompt and output token blocks of a successes block.
func (p *parser) tokens(succ map[string]any, st *Stage) promptFields {
	const sp = "successes."
	n := st.Successes
	var f promptFields
	if pt := p.obj(succ, string(PromptTokens), sp); pt != nil {
		f.promptTokens = true
		st.PromptTokensTotal, _ = p.count(pt, "total", sp+string(PromptTokens)+".")
		st.CachedPromptTokens, _ = p.count(pt, "cached", sp+string(PromptTokens)+".")
		st.put(PromptTokens, p.stats(succ, string(PromptTokens), sp, n))
	}
	if _, ok := succ["prompt_len"]; ok {
		f.promptLen = true
		if !f.promptTokens {
			// Before v0.6 the client-side prompt length stands in for prompt tokens.
			if s := p.stats(succ, "prompt_len", sp, n); s != nil {
				st.put(PromptTokens, s)
				st.PromptTokensTotal = int64(math.Round(s.MeanV * float64(n)))
			}
		}
	}
	if ot := p.obj(succ, string(OutputTokens), sp); ot != nil {
		st.OutputTokensTotal, _ = p.count(ot, "total", sp+string(OutputTokens)+".")
		st.put(OutputTokens, p.stats(succ, string(OutputTokens), sp, n))
	}
	if s := p.stats(succ, string(OutputLen), sp, n); s != nil {
		st.put(OutputLen, s)
		if _, ok := st.Distributions[OutputTokens]; !ok {
			st.OutputTokensTotal = int64(math.Round(s.MeanV * float64(n)))
		}
	}
	return f
}

// failures reads the failures block; it reports whether the block holds by_label.
func (p *parser) failures(fail map[string]any, st *Stage) (hasByLabel bool) {
	const fp = "failures."
	st.Failures, _ = p.count(fail, "count", fp)
	p.section(fail, SectionFailures, st, st.Failures)
	bl := p.obj(fail, "by_label", fp)
	if bl == nil {
		_, present := fail["by_label"]
		return present
	}
	st.FailuresByLabel = map[string]FailureLabel{}
	for label, v := range bl {
		o, ok := v.(map[string]any)
		if !ok {
			p.fail(fp+"by_label."+label, "an object", v)
			continue
		}
		st.FailuresByLabel[label] = p.failureLabel(o, fp+"by_label."+label+".")
	}
	return true
}

func (p *parser) failureLabel(o map[string]any, lp string) FailureLabel {
	fl := FailureLabel{}
	fl.Count, _ = p.count(o, "count", lp)
	msgs, _ := o["messages"].([]any)
	for _, mv := range msgs {
		switch mv := mv.(type) {
		case string:
			fl.Messages = append(fl.Messages, mv)
		case map[string]any:
			fl.Messages = append(fl.Messages, p.str(mv, "message", lp+"messages[]."))
		}
	}
	return fl
}

func (p *parser) goodput(g map[string]any, path string) *Goodput {
	gp := &Goodput{Attainment: map[Metric]float64{}}
	gp.Percentage, _ = p.num(g, "goodput_percentage", path)
	gp.RequestGoodput, _ = p.num(g, "request_goodput", path)
	gp.TokenGoodput, _ = p.num(g, "token_goodput", path)
	gp.GoodRequests, _ = p.count(g, "good_requests", path)
	gp.TotalRequests, _ = p.count(g, "total_requests", path)
	for k := range g {
		if m, ok := strings.CutSuffix(k, "_attainment_percentage"); ok {
			if v, ok := p.num(g, k, path); ok {
				gp.Attainment[attainmentMetric(m)] = v
			}
		}
	}
	if c := p.obj(g, "constraints", path); c != nil {
		gp.Constraints = map[Metric]float64{}
		for k := range c {
			if v, ok := p.num(c, k, path+"constraints."); ok {
				gp.Constraints[attainmentMetric(k)] = v
			}
		}
	}
	return gp
}

// attainmentMetric maps a goodput key (ttft, tpot, itl, ntpot,
// request_latency or an alias such as e2e) to its metric; a key the
// registry does not know stays as spelled.
func attainmentMetric(k string) Metric {
	if i, ok := LookupMetric(k); ok && i.Goodput {
		return i.Metric
	}
	return Metric(k)
}

func (p *parser) extension(tg map[string]any, st *Stage) *extension {
	const tp = "tailgate."
	ext := &extension{}
	ext.Partial = p.boolean(tg, "partial", tp)
	ext.PartialReason = p.str(tg, "partial_reason", tp)
	st.Partial = ext.Partial
	if lat := p.obj(tg, "latency_from_schedule", tp); lat != nil {
		p.section(lat, SectionFromSchedule, st, st.Successes)
	}
	if o := p.obj(tg, "output_length", tp); o != nil {
		st.OutputLength = p.outputLength(o, tp+"output_length.")
	}
	if g := p.obj(tg, "generator", tp); g != nil {
		const gp = tp + "generator."
		gs := &GeneratorStats{}
		gs.Engine = p.str(g, "engine", gp)
		gs.Scheduled, _ = p.count(g, "scheduled", gp)
		gs.Sent, _ = p.count(g, "sent", gp)
		w, _ := p.count(g, "workers", gp)
		gs.Workers = int(w)
		l, _ := p.count(g, "in_flight_limit", gp)
		gs.InFlightLimit = int(l)
		gs.InFlightLimitHits, _ = p.count(g, "in_flight_limit_hits", gp)
		gs.MaxInFlight, _ = p.count(g, "max_in_flight", gp)
		st.Generator = gs
	}
	return ext
}

func (p *parser) outputLength(o map[string]any, path string) *OutputLength {
	ol := &OutputLength{ExactRequired: p.boolean(o, "exact_required", path)}
	ol.Answered, _ = p.count(o, "answered", path)
	ol.Requested, _ = p.count(o, "requested", path)
	ol.Received, _ = p.count(o, "received", path)
	ol.Short, _ = p.count(o, "short", path)
	ol.Long, _ = p.count(o, "long", path)
	ol.Empty, _ = p.count(o, "empty", path)
	ol.Unverified, _ = p.count(o, "unverified", path)
	return ol
}
