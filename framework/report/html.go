package report

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// HTMLFile is the name of the HTML report in a report directory.
const HTMLFile = "report.html"

// HTMLReportFile renders report.html (see WriteHTML) for WriteDir and WriteFiles.
func HTMLReportFile(r *Report, verdicts []Verdict, baseline ...*Report) File {
	return File{Name: HTMLFile, Write: func(w io.Writer) error { return WriteHTML(w, r, verdicts, baseline...) }}
}

// WriteHTMLFile writes dir/report.html (see WriteHTML).
func WriteHTMLFile(dir string, r *Report, verdicts []Verdict) error {
	if err := writeFileWith(filepath.Join(dir, HTMLFile), func(w io.Writer) error {
		return WriteHTML(w, r, verdicts)
	}); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// WriteHTML writes r as one self-contained HTML page: the verdict table
// (none when verdicts is nil), the summary percentiles, and charts drawn as
// inline SVG — latency over time with the SLA thresholds, each latency
// metric's percentile spectrum with the SLA points, requested versus
// achieved rate, in-flight requests, errors by label and, for runs of
// several stages, latency versus achieved rate. The page loads nothing from
// the network and runs no script. A baseline report, when given, is drawn
// beside the run on the percentile spectra (grey, dashed).
func WriteHTML(w io.Writer, r *Report, verdicts []Verdict, baseline ...*Report) error {
	if r == nil {
		return fmt.Errorf("html report: nil report")
	}
	pts, err := r.Series()
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	bw := bufio.NewWriter(w)
	p := &page{b: bw}
	p.head(r)
	p.overview(r)
	p.verdicts(verdicts)
	p.percentiles(r)
	if len(pts) == 0 {
		p.printf("<section><h2>Over time</h2><p class=\"note\">This report has no interval logs (inference-perf's files hold totals only), so it has no charts over time.</p></section>\n")
	}
	overTime, spectrum := "P50 and P99 of each interval.", "The whole distribution: x runs from the fastest request (0%) to the 99.99th percentile on a log(1/(1−p)) scale, so each step right is ten times rarer."
	if len(verdicts) > 0 {
		overTime += " Dashed lines are the SLA thresholds."
		spectrum += " Diamonds are the SLA's promises."
	}
	p.section("Latency over time", overTime, latencyOverTime(r, pts, verdicts))
	p.section("Server over time", serverChartsNote(r), serverCharts(r, pts))
	var base *Report
	if len(baseline) > 0 && baseline[0] != nil {
		base = baseline[0]
		spectrum += " The grey dashed curve is the baseline run (" + esc(base.Source) + ")."
	}
	p.section("Percentile spectrum", spectrum, spectra(r, verdicts, base))
	p.section("Load", "What the schedule asked for, what the generator sent, and how many requests were in flight, per interval.", loadCharts(r, pts))
	p.errorsSection(pts, r)
	p.section("Latency versus achieved rate", "One point per stage: where the curve bends upward is the server's knee.", rateCurves(r))
	p.foot()
	if p.err != nil {
		return p.err
	}
	return bw.Flush()
}

// page accumulates the HTML, remembering the first write error.
type page struct {
	b   *bufio.Writer
	err error
}

func (p *page) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.b, format, args...)
	}
}

func esc(s string) string { return html.EscapeString(s) }

func (p *page) head(r *Report) {
	p.printf("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
	p.printf("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	p.printf("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n")
	p.printf("<title>tailgate report — %s</title>\n<style>%s</style></head><body>\n", esc(sourceName(r)), pageCSS)
	p.printf("<header><h1>tailgate report</h1><p class=\"meta\">%s</p></header>\n<main>\n", esc(runLine(r)))
	if r.Partial {
		p.printf("<p class=\"banner\">Partial run: %s. A partial run cannot pass a gate.</p>\n", esc(r.PartialReason))
	}
}

// runLine says where the report came from and when the run started.
func runLine(r *Report) string {
	parts := []string{sourceName(r), plural(len(r.Stages), "stage")}
	for _, s := range r.Stages {
		if s.Timeline != nil && !s.Timeline.Start.IsZero() {
			parts = append(parts, "started "+s.Timeline.Start.UTC().Format("2006-01-02 15:04:05 UTC"))
			break
		}
	}
	return strings.Join(parts, " · ")
}

func durationCard(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return d.Round(100 * time.Millisecond).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (p *page) overview(r *Report) {
	s := r.Summary
	asked, sent := 0.0, 0.0
	for _, st := range r.Stages {
		asked = math.Max(asked, st.RequestedRate)
		sent = math.Max(sent, st.AchievedRate)
	}
	cards := [][2]string{
		{"requests", fmt.Sprint(s.Requests)},
		{"failed", fmt.Sprintf("%d (%.2f%%)", s.Failures, 100*s.ErrorRate())},
		{"peak rate asked / sent", rate(asked) + " / " + rate(sent) + " req/s"},
		{"duration", durationCard(s.Duration)},
		{"output tokens/s", trimFloat(s.Throughput.OutputTokensPerSec, 1)},
	}
	p.printf("<section class=\"cards\">")
	for _, c := range cards {
		p.printf("<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">%s</div></div>", esc(c[0]), esc(c[1]))
	}
	p.printf("</section>\n")
}

func (p *page) verdicts(vs []Verdict) {
	if len(vs) == 0 {
		return
	}
	p.printf("<section><h2>Verdicts</h2><table class=\"verdicts\"><thead><tr><th>promise</th><th>outcome</th><th>measured</th><th>detail</th></tr></thead><tbody>\n")
	for _, v := range vs {
		p.printf("<tr class=\"%s\"><td>%s</td><td><span class=\"badge %s\">%s</span></td><td>%s</td><td>%s</td></tr>\n",
			esc(string(v.Outcome)), esc(v.Promise), esc(string(v.Outcome)), esc(outcomeWord(v.Outcome)), esc(v.Measured), esc(v.Message))
	}
	p.printf("</tbody></table></section>\n")
}

func outcomeWord(o Outcome) string {
	switch o {
	case Pass:
		return "✔ pass"
	case Fail:
		return "✘ fail"
	case Inconclusive:
		return "? refused"
	}
	return string(o)
}

// htmlPercentiles are the columns of the summary table.
var htmlPercentiles = []float64{50, 90, 95, 99, 99.9}

func (p *page) percentiles(r *Report) {
	p.printf("<section><h2>Summary</h2><table class=\"num\"><thead><tr><th>metric</th><th>count</th><th>mean</th>")
	for _, q := range htmlPercentiles {
		p.printf("<th>%s</th>", PercentileName(q))
	}
	p.printf("<th>max</th></tr></thead><tbody>\n")
	for _, m := range tableMetrics() {
		d, ok := r.Summary.Distribution(m)
		if !ok || d.Count() == 0 {
			continue
		}
		p.printf("<tr><td>%s</td><td>%s</td><td>%s</td>", esc(metricTitle(m)), countStr(d.Count()), FormatValue(m, d.Mean()))
		for _, q := range htmlPercentiles {
			v, err := d.Percentile(q)
			cell := "–"
			if err == nil {
				cell = FormatValue(m, v)
			}
			p.printf("<td>%s</td>", cell)
		}
		p.printf("<td>%s</td></tr>\n", FormatValue(m, d.Max()))
	}
	p.printf("</tbody></table></section>\n")
}

// section writes a heading, a note and the charts that have data; a section
// without any is left out.
func (p *page) section(title, note string, charts []*chart) {
	var have []*chart
	for _, c := range charts {
		if c.hasData() {
			have = append(have, c)
		}
	}
	if len(have) == 0 {
		return
	}
	p.printf("<section><h2>%s</h2><p class=\"note\">%s</p><div class=\"grid\">\n", esc(title), esc(note))
	for _, c := range have {
		p.printf("<figure><figcaption>%s</figcaption>%s</figure>\n", esc(c.title), c.inSeconds().svg())
	}
	p.printf("</div></section>\n")
}

func (p *page) errorsSection(pts []SeriesPoint, r *Report) {
	if len(pts) > 0 && r.Summary.Failures == 0 {
		p.printf("<section><h2>Errors over time</h2><p class=\"note ok\">No request failed.</p></section>\n")
		return
	}
	p.section("Errors over time", "Failed requests per interval, by failure label.", []*chart{errorChart(pts)})
}

func (p *page) foot() {
	p.printf("</main><footer>Written by tailgate. Latencies in milliseconds. Interval histogram logs (.hlog) beside this page hold every distribution.</footer></body></html>\n")
}

// metricTitle is a metric's name for people.
func metricTitle(m Metric) string { return m.Info().Title }

// slaLines are the thresholds of the verdicts on metric m, in milliseconds.
func slaLines(m Metric, vs []Verdict) []refLine {
	var out []refLine
	for _, v := range vs {
		if v.Metric == m && v.Threshold > 0 {
			out = append(out, refLine{v: v.Threshold * 1000, color: colBlack,
				label: fmt.Sprintf("SLA %s ≤ %s ms", PercentileName(v.Percentile), msLabel(v.Threshold*1000))})
		}
	}
	return out
}

func latencyOverTime(r *Report, pts []SeriesPoint, vs []Verdict) []*chart {
	var out []*chart
	for _, m := range SeriesMetrics() {
		c := &chart{id: "over-time-" + string(m), title: metricTitle(m) + " over time", xLabel: "time since start (s)", yLabel: "latency (ms)", yMin0: true,
			hlines: slaLines(m, vs), vlines: append(stageStarts(r, pts), worstLines(m, vs)...)}
		p50 := series{name: "P50", color: colBlue}
		p99 := series{name: "P99", color: colVermilion}
		for _, p := range pts {
			x := (p.At + p.Length/2).Seconds()
			p50.pts = append(p50.pts, pt{x, p.P50[m] * 1000})
			p99.pts = append(p99.pts, pt{x, p.P99[m] * 1000})
		}
		c.series = []series{p50, p99}
		out = append(out, c)
	}
	return out
}

// stageStarts marks where each stage after the first begins.
func stageStarts(r *Report, pts []SeriesPoint) []refLine {
	var out []refLine
	for i, p := range pts {
		if i > 0 && p.Stage != pts[i-1].Stage {
			out = append(out, refLine{v: p.At.Seconds(), label: fmt.Sprintf("stage %d", p.Stage)})
		}
	}
	return out
}

func loadCharts(r *Report, pts []SeriesPoint) []*chart {
	if len(pts) == 0 {
		return nil
	}
	rc := &chart{id: "rate", title: "Requested versus achieved rate", xLabel: "time since start (s)", yLabel: "requests per second", yMin0: true, vlines: stageStarts(r, pts)}
	asked := series{name: "requested", color: colGrey, dash: true, step: true}
	sent := series{name: "achieved (sent)", color: colBlue}
	done := series{name: "completed", color: colGreen}
	fc := &chart{id: "in-flight", title: "Requests in flight", xLabel: "time since start (s)", yLabel: "requests in flight", yMin0: true, vlines: stageStarts(r, pts)}
	inflight := series{name: "in flight (end of interval)", color: colOrange}
	for _, p := range pts {
		x := (p.At + p.Length/2).Seconds()
		req := math.NaN()
		if p.RequestedRate > 0 {
			req = p.RequestedRate
		}
		asked.pts = append(asked.pts, pt{p.At.Seconds(), req})
		sent.pts = append(sent.pts, pt{x, p.AchievedRate})
		done.pts = append(done.pts, pt{x, float64(p.Completed) / math.Max(p.Length.Seconds(), 1e-9)})
		inflight.pts = append(inflight.pts, pt{p.At.Seconds() + p.Length.Seconds(), float64(p.InFlight)})
	}
	rc.series = []series{asked, sent, done}
	fc.series = []series{inflight}
	return []*chart{rc, fc}
}

func errorChart(pts []SeriesPoint) *chart {
	c := &chart{id: "errors", title: "Failed requests per interval", xLabel: "time since start (s)", yLabel: "failed requests", yMin0: true}
	labels := map[string]bool{}
	for _, p := range pts {
		for l := range p.ErrorsByLabel {
			labels[l] = true
		}
	}
	for l := range labels {
		c.barKeys = append(c.barKeys, l)
	}
	sort.Strings(c.barKeys)
	if len(pts) > 0 {
		c.xSpan = []float64{0, (pts[len(pts)-1].At + pts[len(pts)-1].Length).Seconds()}
	}
	for _, p := range pts {
		if p.Errors == 0 {
			continue
		}
		g := barGroup{x: p.At.Seconds()}
		for _, l := range c.barKeys {
			g.values = append(g.values, float64(p.ErrorsByLabel[l]))
		}
		c.bars = append(c.bars, g)
		c.barWidth = p.Length.Seconds()
	}
	return c
}

// pageCSS styles the page: system fonts only, nothing fetched.
const pageCSS = `
:root{--fg:#1d2330;--muted:#5b6474;--line:#e3e6eb;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header .meta{margin:4px 0 0;color:#c9cfda;font-size:13px}
main{max-width:1640px;margin:0 auto;padding:8px 32px 32px}
h2{font-size:18px;margin:28px 0 6px}
.note{color:var(--muted);margin:0 0 12px;font-size:13px}
.note.ok{color:#00704f;font-size:15px}
.banner{background:#fff3cd;border:1px solid #e6c66a;padding:10px 14px;border-radius:6px;margin-top:16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:18px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:150px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line);border-radius:8px;font-variant-numeric:tabular-nums}
th,td{padding:6px 12px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
table.num td+td{text-align:right}
.verdicts td:last-child{color:var(--muted);font-size:13px;max-width:640px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;white-space:nowrap}
.badge.pass{background:#d8f0e6;color:#00553c}
.badge.fail{background:#f8dccb;color:#8a3200}
.badge.inconclusive{background:#eee0ea;color:#6d3160}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 8px 4px}
figcaption{font-weight:600;padding:0 8px}
svg.chart{width:100%;height:auto;display:block}
svg .gl{stroke:#edf0f3}
svg .axis{stroke:#8a93a3}
svg text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#3b4250}
svg .yt{text-anchor:end}
svg .xt,svg .xl,svg .yl{text-anchor:middle}
svg .xl,svg .yl{font-size:13px;fill:#1d2330}
svg .hl{text-anchor:end;font-size:12px;font-weight:600}
svg .vl{fill:#777;font-size:11px}
svg .ml{font-size:11px;font-weight:600}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px;max-width:1640px;margin:0 auto}
`
