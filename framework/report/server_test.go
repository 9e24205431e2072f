package report_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("server metrics (inference-perf prometheus report files)", func() {
	It("reads inference-perf's own files onto the summary and every stage", func() {
		r, err := report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Summary.Server).NotTo(BeNil())
		Expect(r.Summary.Server.Source).To(Equal(report.ServerFromInferencePerf))
		n, ok := r.Summary.Server.Get(report.ServerRequestCount, "")
		Expect(ok).To(BeTrue())
		Expect(n).To(Equal(fileValue(filepath.Join(realDir, report.ServerSummaryFile), "successes", "count")))
		Expect(r.Stages).To(HaveLen(7))
		for _, s := range r.Stages {
			Expect(s.Server).NotTo(BeNil(), s.Name())
			file := filepath.Join(realDir, report.ServerStageFile(s.ID))
			p99, ok := s.Server.Get(report.ServerTTFT, "p99")
			Expect(ok).To(BeTrue())
			Expect(p99).To(Equal(fileValue(file, "successes", "time_to_first_token", "p99")))
		}
	})

	It("writes every file back byte for byte", func() {
		r, err := report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
		out := GinkgoT().TempDir()
		Expect(report.WriteDir(out, r)).To(Succeed())
		names := []string{report.ServerSummaryFile}
		for _, s := range r.Stages {
			names = append(names, report.ServerStageFile(s.ID))
		}
		for _, name := range names {
			want, err := os.ReadFile(filepath.Join(realDir, name))
			Expect(err).NotTo(HaveOccurred())
			got, err := os.ReadFile(filepath.Join(out, name))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(got)).To(Equal(string(want)), name)
		}
	})

	It("keeps its own figures, the source and the series count through a write and a read", func() {
		m := &report.ServerMetrics{Source: report.ServerFromScrape, Series: 2, Scrapes: 31, Note: "percentiles are approximate"}
		m.Set(report.ServerWaiting, "mean", 3.25, false)
		m.Set(report.ServerWaiting, "max", 12, true)
		m.Set(report.ServerKVCacheUsage, "max", 0.0001, false)
		m.Set(report.ServerPreemptions, "total", 4, true)
		m.Set(report.ServerTTFT, "p99", 1e-05, false)
		m.Set(report.ServerRequestRate, "", 2e16, false)
		back, err := report.ParseServerMetrics(strings.NewReader(string(m.JSON())))
		Expect(err).NotTo(HaveOccurred())
		Expect(back).To(Equal(m))
		Expect(string(m.JSON())).To(ContainSubstring(`"max": 0.0001`))
		Expect(string(m.JSON())).To(ContainSubstring(`"p99": 1e-05`))
	})

	It("names the key of a value of the wrong type", func() {
		_, err := report.ParseServerMetrics(strings.NewReader(`{"successes": {"queue_len": {"mean": "lots"}}}`))
		Expect(err).To(MatchError(ContainSubstring("successes.queue_len.mean")))
	})
})
