package report_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// A report file's numbers are checked before anything judges them: an
// impossible value is refused with the file and the key, never passed on.
var _ = Describe("report files with impossible values", func() {
	// stageFile writes one stage file whose TTFT p50 and the given extra JSON
	// fields are set, and returns its directory.
	stageFile := func(ttftP50, extra string) string {
		dir := GinkgoT().TempDir()
		body := `{"load_summary": {"count": 100, "requested_rate": 10, "achieved_rate": 10,
			"schedule_delay": {"mean": 0.001, "min": -0.0006, "median": 0.001, "p99": 0.002, "max": 0.003}` + extra + `},
			"successes": {"count": 100, "latency": {"time_to_first_token": {"mean": 0.05, "min": 0.01, "median": ` + ttftP50 + `, "p99": 0.09, "max": 0.1}}},
			"failures": {"count": 0}}`
		Expect(os.WriteFile(filepath.Join(dir, report.StageFile(0)), []byte(body), 0o644)).To(Succeed())
		return dir
	}

	DescribeTable("are refused with the file and the key",
		func(ttftP50, extra, key, problem string) {
			dir := stageFile(ttftP50, extra)
			_, err := report.ReadDir(dir)
			Expect(err).To(MatchError(ContainSubstring(filepath.Join(dir, report.StageFile(0)))))
			Expect(err).To(MatchError(ContainSubstring(key + ": " + problem)))
		},
		Entry("a negative TTFT median", "-0.02", "", "successes.latency.time_to_first_token.median", "-0.02 is negative"),
		Entry("a TTFT of 1e308 s", "1e308", "", "successes.latency.time_to_first_token.median", "1e+308 s is beyond any request (the cap is 1e+06 s)"),
		Entry("a number too large for float64", "1e999", "", "successes.latency.time_to_first_token.median", "want a finite number"),
		Entry("a NaN", "NaN", "", "successes.latency.time_to_first_token.median", "NaN (written by Python"),
		Entry("a median above p99", "0.095", "", "successes.latency.time_to_first_token", "p99 = 0.09 is below median = 0.095: percentiles cannot decrease"),
		Entry("a median below min", "0.005", "", "successes.latency.time_to_first_token", "median = 0.005 is below min = 0.01"),
		Entry("a negative count", "0.02", `, "concurrency": -3`, "load_summary.concurrency", "-3 is negative"),
		Entry("a negative rate", "0.02", `, "send_duration": -10`, "load_summary.send_duration", "-10 is negative"),
	)

	It("refuses a schedule delay far below zero, and keeps the small negative ones real generators show", func() {
		dir := GinkgoT().TempDir()
		body := `{"load_summary": {"count": 10, "schedule_delay": {"mean": -30, "min": -60, "median": -30, "max": 0.001}}}`
		Expect(os.WriteFile(filepath.Join(dir, report.SummaryFile), []byte(body), 0o644)).To(Succeed())
		_, err := report.ReadDir(dir)
		Expect(err).To(MatchError(ContainSubstring("load_summary.schedule_delay.mean: -30 s: a request sent more than 1 s before its schedule")))

		r, err := report.ReadDir(stageFile("0.02", ""))
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Stages[0].Distributions[report.ScheduleDelay].Min()).To(Equal(-0.0006))
	})

	It("finds a Python token that straddles the stream's read buffer", func() {
		const head = `{"successes": {"count": 3, "latency": {"request_latency": {"p50": 0.1, "max": `
		for k := 1; k <= len("-Infinity"); k++ { // the token starts k bytes before the 64 KiB boundary
			pad := 64<<10 - k - len(head)
			dir := GinkgoT().TempDir()
			body := head[:len(head)-len(`"max": `)] + strings.Repeat(" ", pad) + `"max": -Infinity}}}}`
			Expect(os.WriteFile(filepath.Join(dir, report.SummaryFile), []byte(body), 0o644)).To(Succeed())
			_, err := report.ReadDir(dir)
			Expect(err).To(MatchError(ContainSubstring("successes.latency.request_latency.max: -Infinity")), "token %d bytes before the boundary", k)
		}
	})

	It("refuses a file over the size cap before reading it, and says the cap and the fix", func() {
		dir := GinkgoT().TempDir()
		path := filepath.Join(dir, report.SummaryFile)
		f, err := os.Create(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Truncate(report.MaxReportFileBytes + 1)).To(Succeed()) // sparse: no disk, no memory
		Expect(f.Close()).To(Succeed())
		_, err = report.ReadDir(dir)
		Expect(err).To(MatchError(And(ContainSubstring(path), ContainSubstring("over the 32 MiB a lifecycle report may have"),
			ContainSubstring("point tailgate at the directory"))))
	})
})
