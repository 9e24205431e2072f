package cluster_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("ExtractReportFiles", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("reads files printed between the Job script's markers and parses them as a report", func() {
		log := fakeJobLog("testdata/inference-perf-v0.2.0")
		names, err := cluster.ExtractReportFiles(strings.NewReader(log), dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(names).To(ContainElements("summary_lifecycle_metrics.json", "stage_0_lifecycle_metrics.json", "stage_6_lifecycle_metrics.json"))
		Expect(names).To(HaveLen(8))
		rep, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Partial).To(BeFalse())
		Expect(rep.Stages).To(HaveLen(7))
		Expect(rep.Summary.Successes).To(BeEquivalentTo(38717))
	})

	It("reads inference-perf v0.6+ START_STAGE / START_SUMMARY blocks", func() {
		summary := readFile("testdata/inference-perf-v0.2.0/summary_lifecycle_metrics.json")
		stage := readFile("testdata/inference-perf-v0.2.0/stage_0_lifecycle_metrics.json")
		log := "INFO starting\n=== START_STAGE_0 ===\n" + stage + "\n=== END_STAGE_0 ===\n" +
			"=== START_SUMMARY ===\n" + summary + "\n=== END_SUMMARY ===\n┏━━ table ━━┓\n"
		names, err := cluster.ExtractReportFiles(strings.NewReader(log), dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(names).To(Equal([]string{"stage_0_lifecycle_metrics.json", "summary_lifecycle_metrics.json"}))
		rep, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Summary.Successes).To(BeEquivalentTo(38717))
	})

	It("refuses a block that starts but never ends", func() {
		log := "=== TAILGATE_FILE_BEGIN summary_lifecycle_metrics.json ===\n{\"load_summary\": {\n"
		_, err := cluster.ExtractReportFiles(strings.NewReader(log), dir)
		Expect(err).To(MatchError(ContainSubstring("summary_lifecycle_metrics.json starts but never ends")))
	})

	It("refuses a file name that could escape the directory", func() {
		log := "=== TAILGATE_FILE_BEGIN ../evil.json ===\n{}\n=== TAILGATE_FILE_END ../evil.json ===\n"
		_, err := cluster.ExtractReportFiles(strings.NewReader(log), dir)
		Expect(err).To(MatchError(ContainSubstring(`"../evil.json"`)))
	})

	It("returns no files for a log without report blocks", func() {
		names, err := cluster.ExtractReportFiles(strings.NewReader("Traceback (most recent call last):\nOSError: boom\n"), dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(names).To(BeEmpty())
	})
})

// fakeJobLog is what the benchmark Job's script prints after an inference-perf run whose
// report files are in dir: some inference-perf log lines, then each file between markers.
func fakeJobLog(dir string) string {
	var b strings.Builder
	b.WriteString("2026-11-26 17:00:00,000 - inference_perf - INFO - Stage 0 - run started\n")
	b.WriteString("2026-11-26 17:10:00,000 - inference_perf - INFO - Report files will be stored at: /tailgate/reports\n")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	Expect(err).NotTo(HaveOccurred())
	Expect(files).NotTo(BeEmpty())
	for _, f := range files {
		n := filepath.Base(f)
		b.WriteString("=== TAILGATE_FILE_BEGIN " + n + " ===\n")
		b.WriteString(readFile(f))
		b.WriteString("\n=== TAILGATE_FILE_END " + n + " ===\n")
	}
	return b.String()
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}
