package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// MaxReportFileBytes caps the size of one lifecycle report file ReadDir
// reads. inference-perf writes a few kilobytes per file (a STATS block per
// metric, no per-request data); 32 MiB leaves room for any extension while a
// stray multi-gigabyte file is refused before it is read.
const MaxReportFileBytes = 32 << 20

// Sanity bounds for the numbers of a report file: no request lasts longer
// than maxReportSeconds (11.6 days), a generator does not send a request more
// than minScheduleDelay early, and no count, rate or token figure exceeds
// maxReportNumber. A value outside them is corrupt and is refused, so it can
// neither pass a promise nor render as "+Infms".
const (
	maxReportSeconds = 1e6
	minScheduleDelay = -1.0
	maxReportNumber  = 1e15
)

// nonFinite marks where the file held a Python NaN, Infinity or -Infinity:
// nonFiniteReader writes it as this string so the parser can name the key.
const nonFinite = "\x00non-finite:"

// openReport opens a lifecycle report file, refusing one over MaxReportFileBytes.
func openReport(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxReportFileBytes {
		f.Close()
		return nil, fmt.Errorf("report file %s: %d bytes, over the %d MiB a lifecycle report may have (inference-perf writes a few KB); point tailgate at the directory of summary_lifecycle_metrics.json and stage_<N>_lifecycle_metrics.json, or trim the file",
			path, fi.Size(), MaxReportFileBytes>>20)
	}
	return f, nil
}

// limitedReader reads at most MaxReportFileBytes of r and fails beyond, so a
// file that grows while it is read cannot exhaust memory either.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("more than %d MiB: not a lifecycle report", MaxReportFileBytes>>20)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// nonFiniteReader streams JSON, rewriting the NaN, Infinity and -Infinity
// tokens Python's json module writes (outside strings) as marked strings.
type nonFiniteReader struct {
	in       *bufio.Reader
	pending  []byte
	inString bool
	escaped  bool
}

func newNonFiniteReader(r io.Reader) *nonFiniteReader {
	return &nonFiniteReader{in: bufio.NewReaderSize(&limitedReader{r: r, left: MaxReportFileBytes}, 64<<10)}
}

func (n *nonFiniteReader) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) {
		if len(n.pending) > 0 {
			c := copy(p[w:], n.pending)
			n.pending, w = n.pending[c:], w+c
			continue
		}
		c, err := n.in.ReadByte()
		if err != nil {
			if w > 0 {
				return w, nil
			}
			return 0, err
		}
		if tok := n.token(c); tok != "" {
			n.pending = []byte(`"\u0000non-finite:` + tok + `"`) // decodes to nonFinite + tok
			continue
		}
		p[w] = c
		w++
	}
	return w, nil
}

// token consumes a NaN, Infinity or -Infinity token starting with c outside
// a string and returns it; "" otherwise (c is then passed through).
func (n *nonFiniteReader) token(c byte) string {
	if n.inString {
		switch {
		case n.escaped:
			n.escaped = false
		case c == '\\':
			n.escaped = true
		case c == '"':
			n.inString = false
		}
		return ""
	}
	if c == '"' {
		n.inString = true
		return ""
	}
	for _, tok := range []string{"NaN", "Infinity", "-Infinity"} {
		if c != tok[0] {
			continue
		}
		if next, _ := n.in.Peek(len(tok) - 1); bytes.Equal(next, []byte(tok[1:])) {
			_, _ = n.in.Discard(len(tok) - 1)
			return tok
		}
	}
	return ""
}

// checkNumber returns what is impossible about the value at path, or "".
func checkNumber(path string, f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return "not a finite number"
	case isScheduleDelay(path) && f < minScheduleDelay:
		return fmt.Sprintf("%g s: a request sent more than %g s before its schedule", f, -minScheduleDelay)
	case !isScheduleDelay(path) && f < 0:
		return fmt.Sprintf("%g is negative, which this figure cannot be", f)
	case isSeconds(path) && f > maxReportSeconds:
		return fmt.Sprintf("%g s is beyond any request (the cap is %g s)", f, maxReportSeconds)
	case f > maxReportNumber:
		return fmt.Sprintf("%g is beyond any run (the cap is %g)", f, maxReportNumber)
	}
	return ""
}

func isScheduleDelay(path string) bool {
	return strings.HasPrefix(path, "load_summary.schedule_delay.")
}

// isSeconds reports whether the number at path is a time in seconds.
func isSeconds(path string) bool {
	for _, prefix := range []string{"successes.latency.", "failures.request_latency.", "load_summary.schedule_delay.",
		"tailgate.latency_from_schedule.", "successes.goodput_metrics.constraints."} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return path == "benchmark_time_seconds" || path == "load_summary.send_duration"
}

// checkOrder returns what is impossible about the order of a STATS block's
// values (a percentile below a lower one, or outside [min, max]), or "".
// A tolerance of one part in 10⁹ absorbs the rounding of interpolated percentiles.
func checkOrder(s *Stats) string {
	ps := s.Exact()
	prevP, prev := 0.0, s.MinV
	for _, p := range ps {
		v, err := s.Percentile(p)
		if err != nil || math.IsNaN(v) || math.IsNaN(prev) {
			continue
		}
		if v < prev-1e-9*math.Max(1, math.Abs(prev)) {
			return fmt.Sprintf("%s = %g is below %s = %g: percentiles cannot decrease", blockKey(p), v, blockKey(prevP), prev)
		}
		prevP, prev = p, v
	}
	return ""
}

// blockKey names a STATS block entry: "min" (0), "median", "p99", "max" (100).
func blockKey(p float64) string {
	switch p {
	case 0:
		return "min"
	case 100:
		return "max"
	}
	return statsKey(p)
}
