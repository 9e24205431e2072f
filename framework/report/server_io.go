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
	"strconv"
	"strings"
)

// File names inference-perf gives its prometheus (server metrics) reports.
const (
	ServerSummaryFile  = "summary_prometheus_metrics.json"
	serverStageFileFmt = "stage_%d_prometheus_metrics.json"
)

var serverStageFileRE = regexp.MustCompile(`^stage_(\d+)_prometheus_metrics\.json$`)

// ServerStageFile returns the prometheus report file name of stage id.
func ServerStageFile(id int) string { return fmt.Sprintf(serverStageFileFmt, id) }

// attachServerMetrics reads the prometheus report files in dir, if any, onto
// the summary and the stages of r. A stage file without a matching lifecycle
// stage is ignored.
func attachServerMetrics(dir string, r *Report) (*Report, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read report dir: %w", err)
	}
	for _, e := range entries {
		target := serverTarget(r, e.Name())
		if e.IsDir() || target == nil {
			continue
		}
		m, err := readServerFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		target.Server = m
	}
	if err := attachServerTimeline(dir, r); err != nil {
		return nil, fmt.Errorf("read report dir %s: %w", dir, err)
	}
	return r, nil
}

// serverTarget returns the stage a prometheus report file name belongs to, or nil.
func serverTarget(r *Report, name string) *Stage {
	if name == ServerSummaryFile {
		return &r.Summary
	}
	m := serverStageFileRE.FindStringSubmatch(name)
	if m == nil {
		return nil
	}
	id, _ := strconv.Atoi(m[1])
	for i := range r.Stages {
		if r.Stages[i].ID == id {
			return &r.Stages[i]
		}
	}
	return nil
}

func readServerFile(path string) (*ServerMetrics, error) {
	f, err := openReport(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := ParseServerMetrics(f)
	if err != nil {
		return nil, fmt.Errorf("prometheus report file %s: %w", path, err)
	}
	return m, nil
}

// ParseServerMetrics decodes one inference-perf prometheus report file
// (stage_N_prometheus_metrics.json or summary_prometheus_metrics.json).
func ParseServerMetrics(r io.Reader) (*ServerMetrics, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	root, err := decodeOrdered(dec)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	top, ok := root.(obj)
	if !ok {
		return nil, errors.New("top level is not a JSON object")
	}
	m := &ServerMetrics{Source: ServerFromInferencePerf}
	for _, e := range top {
		if err := m.setTop(e); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *ServerMetrics) setTop(e kv) error {
	switch e.k {
	case "load_summary", "failures":
		return nil
	case "benchmark_time_seconds":
		v, err := serverValue(e.v, e.k)
		m.BenchmarkTime = &v
		return err
	case "tailgate":
		return m.setExtension(e.v)
	case "successes":
		succ, ok := e.v.(obj)
		if !ok {
			return errors.New("successes: want a JSON object")
		}
		for _, f := range succ {
			if err := m.setFigure(f); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *ServerMetrics) setFigure(f kv) error {
	path := "successes." + f.k
	if f.v == nil {
		return nil
	}
	if stats, ok := f.v.(obj); ok {
		fig := ServerFigure{Name: f.k}
		for _, s := range stats {
			v, err := serverValue(s.v, path+"."+s.k)
			if err != nil {
				return err
			}
			fig.Stats = append(fig.Stats, ServerStat{Name: s.k, ServerValue: v})
		}
		m.Figures = append(m.Figures, fig)
		return nil
	}
	v, err := serverValue(f.v, path)
	if err != nil {
		return err
	}
	m.Figures = append(m.Figures, ServerFigure{Name: f.k, Scalar: true, Stats: []ServerStat{{ServerValue: v}}})
	return nil
}

func (m *ServerMetrics) setExtension(v any) error {
	ext, ok := v.(obj)
	if !ok {
		return errors.New("tailgate: want a JSON object")
	}
	for _, e := range ext {
		switch e.k {
		case "source", "note":
			s, _ := e.v.(string)
			if e.k == "source" {
				m.Source = s
			} else {
				m.Note = s
			}
		case "series", "scrapes":
			n, err := serverValue(e.v, "tailgate."+e.k)
			if err != nil {
				return err
			}
			if e.k == "series" {
				m.Series = int(n.Value)
			} else {
				m.Scrapes = int(n.Value)
			}
		}
	}
	return nil
}

func serverValue(v any, path string) (ServerValue, error) {
	n, ok := v.(json.Number)
	if !ok {
		return ServerValue{}, fmt.Errorf("%s: want a number, got %v", path, v)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return ServerValue{}, fmt.Errorf("%s: %w", path, err)
	}
	return ServerValue{Value: f, Integer: !strings.ContainsAny(string(n), ".eE")}, nil
}

// decodeOrdered decodes one JSON value, keeping object key order (as obj).
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			var arr []any
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
		var o obj
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, kv{k: k.(string), v: v})
		}
		_, err := dec.Token()
		return o, err
	}
	return tok, nil
}

// serverFiles renders the server figures of r's summary and stages as
// inference-perf's prometheus report files.
func serverFiles(r *Report) []File {
	var files []File
	add := func(name string, m *ServerMetrics) {
		if m != nil {
			files = append(files, BytesFile(name, m.JSON()))
		}
	}
	add(ServerSummaryFile, r.Summary.Server)
	for _, s := range r.Stages {
		add(ServerStageFile(s.ID), s.Server)
	}
	if r.Summary.Server != nil && len(r.Summary.Server.Samples) > 0 {
		samples := r.Summary.Server.Samples
		files = append(files, File{Name: ServerTimelineFile, Write: func(w io.Writer) error { return writeServerTimeline(w, samples) }})
	}
	return files
}

// JSON renders m exactly as inference-perf writes its prometheus report
// (Python's json.dumps: one line, ", " and ": " separators, floats in repr
// form), plus a "tailgate" block naming the source when it is not
// inference-perf itself.
func (m *ServerMetrics) JSON() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	if m.BenchmarkTime != nil {
		b.WriteString(`"benchmark_time_seconds": ` + pyNumber(*m.BenchmarkTime) + ", ")
	}
	b.WriteString(`"load_summary": {}, "successes": {`)
	for i, f := range m.Figures {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyString(f.Name) + ": ")
		if f.Scalar && len(f.Stats) == 1 {
			b.WriteString(pyNumber(f.Stats[0].ServerValue))
			continue
		}
		b.WriteByte('{')
		for j, s := range f.Stats {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyString(s.Name) + ": " + pyNumber(s.ServerValue))
		}
		b.WriteByte('}')
	}
	b.WriteString(`}, "failures": {}`)
	if m.Source != "" && m.Source != ServerFromInferencePerf {
		fmt.Fprintf(&b, `, "tailgate": {"source": %s, "series": %d, "scrapes": %d, "note": %s}`,
			pyString(m.Source), m.Series, m.Scrapes, pyString(m.Note))
	}
	b.WriteByte('}')
	return b.Bytes()
}

func pyString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// pyNumber formats v as Python's json module does: integers bare, floats in
// repr form (shortest round-trip digits, ".0" on whole numbers, exponent
// outside 1e-4 ≤ |v| < 1e16). Non-finite values become null.
func pyNumber(v ServerValue) string {
	f := v.Value
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if v.Integer && math.Abs(f) < 1<<53 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	if f == 0 {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
