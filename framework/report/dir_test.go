package report_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

func names(dir string) []string {
	GinkgoHelper()
	entries, err := os.ReadDir(dir)
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func plant(dir string, files ...string) {
	GinkgoHelper()
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	for _, f := range files {
		Expect(os.WriteFile(filepath.Join(dir, f), []byte("old"), 0o644)).To(Succeed())
	}
}

var _ = Describe("the report directory", func() {
	It("is marked in progress when a run begins, with no file of the previous run left", func() {
		dir := filepath.Join(GinkgoT().TempDir(), "r")
		plant(dir, "summary_lifecycle_metrics.json", "stage_4_lifecycle_metrics.json", "summary.md", "junit.xml", "ttft.hlog", "notes.txt")
		Expect(report.BeginDir(dir, "tailgate production")).To(Succeed())
		Expect(names(dir)).To(ConsistOf(report.InProgressFile, "notes.txt"))
		_, err := report.ReadDir(dir)
		Expect(err).To(HaveOccurred(), "a run in progress is not a report")
	})

	It("takes a whole run's files at once and drops the marker only then", func() {
		dir := filepath.Join(GinkgoT().TempDir(), "r")
		plant(dir, "stage_9_lifecycle_metrics.json")
		Expect(report.BeginDir(dir, "tailgate production")).To(Succeed())
		Expect(report.WriteDir(dir, nativeReport(), report.BytesFile("summary.md", []byte("## PASS\n")))).To(Succeed())
		Expect(names(dir)).To(ConsistOf(report.SummaryFile, report.StageFile(0), report.StageFile(1), report.HTMLFile, "summary.md"))
		rep, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Stages).To(HaveLen(2))
	})

	It("keeps the marker and no half-written file when a file cannot be written", func() {
		dir := filepath.Join(GinkgoT().TempDir(), "r")
		Expect(report.BeginDir(dir, "tailgate production")).To(Succeed())
		full := report.File{Name: "summary.md", Write: func(w io.Writer) error {
			_, _ = w.Write([]byte("## PA"))
			return errors.New("no space left on device")
		}}
		err := report.WriteDir(dir, nativeReport(), full)
		Expect(err).To(MatchError(And(ContainSubstring("summary.md"), ContainSubstring("no space left on device"))))
		Expect(names(dir)).To(ConsistOf(report.InProgressFile))
	})

	It("refuses a directory under a plain file", func() {
		plain := filepath.Join(GinkgoT().TempDir(), "plain")
		Expect(os.WriteFile(plain, nil, 0o644)).To(Succeed())
		Expect(report.BeginDir(filepath.Join(plain, "r"), "tailgate production")).To(MatchError(ContainSubstring("not a directory")))
		Expect(report.WriteDir(filepath.Join(plain, "r"), nativeReport())).To(MatchError(ContainSubstring("not a directory")))
	})
})
