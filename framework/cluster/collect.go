package cluster

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// The Job's shell command prints every report file between these markers after the run,
// so the collector can read them from the pod log (inference-perf v0.2.0 writes its reports
// only to local storage or S3).
const (
	fileBeginMarker = "=== TAILGATE_FILE_BEGIN "
	fileEndMarker   = "=== TAILGATE_FILE_END "
	markerSuffix    = " ==="
)

var (
	// inference-perf >= v0.6.0 prints the summary and each stage's lifecycle JSON to stdout.
	startStage   = regexp.MustCompile(`^=== START_STAGE_(\d+) ===$`)
	endStage     = regexp.MustCompile(`^=== END_STAGE_(\d+) ===$`)
	startSummary = "=== START_SUMMARY ==="
	endSummary   = "=== END_SUMMARY ==="
	safeName     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*\.(json|hlog|jsonl)$`)
)

// ExtractReportFiles reads a benchmark pod's log and writes every report file found in it
// into dir: files printed between the TAILGATE_FILE markers of the Job's command, and the
// `=== START_STAGE_N ===` / `=== START_SUMMARY ===` blocks inference-perf >= v0.6 prints
// (written as stage_N_lifecycle_metrics.json and summary_lifecycle_metrics.json unless the
// same file was printed whole). It returns the names written, sorted. A block that starts
// but never ends is an error naming it: a truncated report must not be parsed as complete.
func ExtractReportFiles(log io.Reader, dir string) ([]string, error) {
	files := map[string]string{}   // from TAILGATE markers
	printed := map[string]string{} // from inference-perf's stdout blocks
	var (
		current string // file being read; "" when outside a block
		fromIP  bool
		buf     strings.Builder
	)
	sc := bufio.NewScanner(log)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if current != "" {
			if blockEnds(line, current, fromIP) {
				if fromIP {
					printed[current] = buf.String()
				} else {
					files[current] = buf.String()
				}
				current = ""
				buf.Reset()
				continue
			}
			buf.WriteString(line)
			buf.WriteByte('\n')
			continue
		}
		switch {
		case strings.HasPrefix(line, fileBeginMarker) && strings.HasSuffix(line, markerSuffix):
			name := strings.TrimSuffix(strings.TrimPrefix(line, fileBeginMarker), markerSuffix)
			if !safeName.MatchString(name) {
				return nil, fmt.Errorf("pod log: report file name %q is not a plain report file name (*.json, *.hlog, *.jsonl)", name)
			}
			current, fromIP = name, false
		case line == startSummary:
			current, fromIP = "summary_lifecycle_metrics.json", true
		default:
			if m := startStage.FindStringSubmatch(line); m != nil {
				current, fromIP = "stage_"+m[1]+"_lifecycle_metrics.json", true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read pod log: %w", err)
	}
	if current != "" {
		return nil, fmt.Errorf("pod log: report file %s starts but never ends (log truncated?)", current)
	}
	return writeReportFiles(dir, files, printed)
}

// writeReportFiles writes the files printed between the TAILGATE markers and those of
// inference-perf's stdout blocks that were not printed whole into dir, and returns
// their names, sorted.
func writeReportFiles(dir string, files, printed map[string]string) ([]string, error) {
	for name, body := range printed {
		if _, ok := files[name]; !ok {
			files[name] = body
		}
	}
	names := make([]string, 0, len(files))
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			return nil, fmt.Errorf("write report file: %w", err)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// blockEnds reports whether line closes the block of the named file.
func blockEnds(line, name string, fromIP bool) bool {
	if !fromIP {
		return line == fileEndMarker+name+markerSuffix
	}
	if name == "summary_lifecycle_metrics.json" {
		return line == endSummary
	}
	m := endStage.FindStringSubmatch(line)
	return m != nil && "stage_"+m[1]+"_lifecycle_metrics.json" == name
}

// tailLines keeps the last n lines written to it.
type tailLines struct {
	n     int
	lines []string
}

func (t *tailLines) add(line string) {
	if t.n <= 0 {
		return
	}
	if len(t.lines) == t.n {
		copy(t.lines, t.lines[1:])
		t.lines = t.lines[:t.n-1]
	}
	t.lines = append(t.lines, line)
}

func (t *tailLines) String() string { return strings.Join(t.lines, "\n") }

// reportLogPatterns are the report files a benchmark pod prints, in the order it prints
// them: the bulky interval logs first, so that if a long run's log is rotated on the node
// it loses those rather than the lifecycle reports the gate judges.
var reportLogPatterns = []string{"*.hlog", "*.jsonl", "*.json"}

// WriteReportLog writes the report files of dir to w the way the benchmark Job's script
// prints them after a run (each between the TAILGATE_FILE markers; interval histogram logs
// and timelines first, the *.json files last), so a simulated pod can serve a real report
// as its log. ExtractReportFiles reads it back.
func WriteReportLog(w io.Writer, dir string) error {
	var files []string
	for _, pattern := range reportLogPatterns {
		matched, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		files = append(files, matched...)
	}
	if len(files) == 0 {
		return fmt.Errorf("no report files (*.hlog, *.jsonl, *.json) in %s", dir)
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		n := filepath.Base(f)
		if _, err := fmt.Fprintf(w, "%s%s%s\n%s\n%s%s%s\n", fileBeginMarker, n, markerSuffix,
			strings.TrimRight(string(body), "\n"), fileEndMarker, n, markerSuffix); err != nil {
			return err
		}
	}
	return nil
}
