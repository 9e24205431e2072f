package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// tablePercentiles are the percentiles the text and Markdown tables show.
var tablePercentiles = [...]float64{50, 90, 95, 99, 99.9}

// tableMetrics are the metrics the tables show, in order.
func tableMetrics() []Metric { return metricsWhere(func(i MetricInfo) bool { return i.Table }) }

// FormatValue prints a metric value: milliseconds for latencies, tokens otherwise.
func FormatValue(m Metric, v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	if MetricKind(m) == KindTokens {
		return trimFloat(v, 1)
	}
	return FormatSeconds(v)
}

// FormatSeconds prints seconds as milliseconds with enough digits to read
// sub-millisecond values ("181.83ms", "0.049ms").
func FormatSeconds(v float64) string {
	ms := v * 1000
	switch a := math.Abs(ms); {
	case a >= 100:
		return fmt.Sprintf("%.1fms", ms)
	case a >= 1:
		return fmt.Sprintf("%.2fms", ms)
	default:
		return fmt.Sprintf("%.3fms", ms)
	}
}

func trimFloat(v float64, digits int) string {
	s := fmt.Sprintf("%.*f", digits, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func rate(v float64) string {
	if v == 0 {
		return "-"
	}
	return trimFloat(v, 2)
}

func countStr(n int64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

func pct(s Stage, p float64, m Metric) string {
	d, ok := s.Distribution(m)
	if !ok {
		return "-"
	}
	v, err := d.Percentile(p)
	if err != nil {
		return "n/a"
	}
	return FormatValue(m, v)
}

func (r *Report) all() []Stage {
	s := r.Summary
	s.ID = -1
	return append([]Stage{s}, r.Stages...)
}

func (r *Report) header() string {
	var b strings.Builder
	if r.Source != "" {
		fmt.Fprintf(&b, "report: %s", r.Source)
	} else {
		b.WriteString("report")
	}
	if r.Summary.Schema != "" {
		fmt.Fprintf(&b, " (inference-perf schema %s)", r.Summary.Schema)
	}
	if r.Partial {
		b.WriteString("\nPARTIAL")
		if r.PartialReason != "" {
			b.WriteString(": " + r.PartialReason)
		}
	}
	return b.String()
}

func overviewRow(s Stage) []string {
	return []string{
		s.Name(), rate(s.RequestedRate), rate(s.AchievedRate), countStr(s.Requests), countStr(s.Successes),
		countStr(s.Failures), fmt.Sprintf("%.2f%%", 100*s.ErrorRate()), rate(s.Throughput.RequestsPerSec),
		rate(s.Throughput.OutputTokensPerSec), durationStr(s),
	}
}

var overviewHeader = []string{"stage", "requested/s", "achieved/s", "requests", "ok", "failed", "errors", "ok/s", "output tok/s", "duration"}

func durationStr(s Stage) string {
	if s.Duration == 0 {
		return "-"
	}
	return trimFloat(s.Duration.Seconds(), 1) + "s"
}

func metricRows(s Stage) [][]string {
	var rows [][]string
	for _, m := range tableMetrics() {
		d, ok := s.Distribution(m)
		if !ok {
			continue
		}
		row := []string{string(m), countStr(d.Count()), FormatValue(m, d.Mean())}
		for _, p := range tablePercentiles {
			row = append(row, pct(s, p, m))
		}
		row = append(row, FormatValue(m, d.Max()))
		rows = append(rows, row)
	}
	return rows
}

func metricHeader() []string {
	h := []string{"metric", "n", "mean"}
	for _, p := range tablePercentiles {
		h = append(h, PercentileName(p))
	}
	return append(h, "max")
}

// WriteText writes a plain-text table of the report: one overview line per
// stage, then each stage's percentiles (latencies in ms).
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, r.header())
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, strings.Join(overviewHeader, "\t")+"\t")
	for _, s := range r.all() {
		fmt.Fprintln(tw, strings.Join(overviewRow(s), "\t")+"\t")
	}
	for _, s := range r.all() {
		rows := metricRows(s)
		fmt.Fprintln(tw)
		if len(rows) == 0 {
			fmt.Fprintf(tw, "%s: no distributions\n", s.Name())
			continue
		}
		fmt.Fprintf(tw, "%s\n", s.Name())
		fmt.Fprintln(tw, strings.Join(metricHeader(), "\t")+"\t")
		for _, row := range rows {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		writeFailures(tw, s, "  ")
		if line := outputLengthLine(s); line != "" {
			fmt.Fprintf(tw, "  %s\n", line)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	r.writeServerLines(w, "")
	return nil
}

// outputLengthLine describes the output-length check and any disagreement
// between streamed chunks and the server's usage; empty when there is none.
func outputLengthLine(s Stage) string {
	var parts []string
	if o := s.OutputLength; o != nil && o.Answered > 0 {
		rule := "up to max_tokens"
		if o.ExactRequired {
			rule = "exactly max_tokens (ignore_eos)"
		}
		parts = append(parts, fmt.Sprintf("output tokens requested %d, received %d over %d answers, asked for %s; short %d, long %d, empty %d, unverified %d",
			o.Requested, o.Received, o.Answered, rule, o.Short, o.Long, o.Empty, o.Unverified))
	}
	if s.TokenCountMismatches > 0 {
		parts = append(parts, fmt.Sprintf("%d streamed answers whose content chunks disagree with usage.completion_tokens (token metrics use usage)", s.TokenCountMismatches))
	}
	return strings.Join(parts, "; ")
}

func writeFailures(w io.Writer, s Stage, indent string) {
	for _, l := range sortedLabels(s.FailuresByLabel) {
		fmt.Fprintf(w, "%sfailures %q: %d\n", indent, l, s.FailuresByLabel[l].Count)
	}
}

func sortedLabels(m map[string]FailureLabel) []string {
	out := make([]string, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]].Count != m[out[j]].Count {
			return m[out[i]].Count > m[out[j]].Count
		}
		return out[i] < out[j]
	})
	return out
}

func mdRow(cells []string) string {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

func mdSep(n int) string {
	return "|" + strings.Repeat(" ---: |", n) + "\n"
}

// WriteMarkdown writes a Markdown summary: the overview of every stage, the
// summary's percentile table and its failures by label.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("### Load report\n\n")
	if r.Source != "" {
		fmt.Fprintf(&b, "Source: `%s`", r.Source)
		if r.Summary.Schema != "" {
			fmt.Fprintf(&b, " (inference-perf schema %s)", r.Summary.Schema)
		}
		b.WriteString("\n\n")
	}
	if r.Partial {
		fmt.Fprintf(&b, "**Partial report**: %s\n\n", r.PartialReason)
	}
	b.WriteString(mdRow(append([]string(nil), overviewHeader...)))
	b.WriteString(mdSep(len(overviewHeader)))
	for _, s := range r.all() {
		b.WriteString(mdRow(overviewRow(s)))
	}
	sum := r.all()[0]
	if rows := metricRows(sum); len(rows) > 0 {
		b.WriteString("\n**Summary percentiles** (latencies in ms)\n\n")
		b.WriteString(mdRow(metricHeader()))
		b.WriteString(mdSep(len(metricHeader())))
		for _, row := range rows {
			b.WriteString(mdRow(row))
		}
	}
	if line := outputLengthLine(sum); line != "" {
		fmt.Fprintf(&b, "\n**Output length**: %s\n", line)
	}
	if len(sum.FailuresByLabel) > 0 {
		b.WriteString("\n**Failures by label**\n\n")
		for _, l := range sortedLabels(sum.FailuresByLabel) {
			fmt.Fprintf(&b, "- %s: %d\n", l, sum.FailuresByLabel[l].Count)
		}
	}
	r.writeServerLines(&b, "- ")
	_, err := io.WriteString(w, b.String())
	return err
}
