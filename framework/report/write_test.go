package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// nativeReport builds a report the way the native engine does: from histograms.
func nativeReport() *report.Report {
	stage := func(id int, rate float64, n int) report.Stage {
		dists := map[report.Metric]report.Distribution{}
		for _, m := range []report.Metric{report.TTFT, report.ITL, report.TPOT, report.NTPOT, report.RequestLatency,
			report.ScheduleDelay, report.TTFTFromSchedule, report.RequestLatencyFromSchedule} {
			h := report.NewHistogram()
			for i := 1; i <= n; i++ {
				h.Record(float64(i) / 1000) // 1 ms .. n ms
			}
			dists[m] = h
		}
		pt := report.NewHistogram(report.KindTokens)
		for i := 0; i < n; i++ {
			pt.Record(1024)
		}
		dists[report.PromptTokens] = pt
		return report.Stage{
			ID: id, RequestedRate: rate, AchievedRate: rate * 0.999,
			SendDuration: time.Duration(float64(n)/rate) * time.Second, Duration: time.Duration(float64(n)/rate+2) * time.Second,
			Requests: int64(n), Successes: int64(n - 3), Failures: 3,
			FailuresByLabel:   map[string]report.FailureLabel{"Connection Error": {Count: 3, Messages: []string{"connection refused"}}},
			PromptTokensTotal: 1024 * int64(n-3),
			Distributions:     dists,
			Throughput:        report.Throughput{RequestsPerSec: rate, OutputTokensPerSec: 100 * rate},
			Generator:         &report.GeneratorStats{Engine: "tailgate-native", Scheduled: int64(n), Sent: int64(n), Workers: 8, InFlightLimit: 800, MaxInFlight: 40},
		}
	}
	s0, s1 := stage(0, 10, 2000), stage(1, 20, 4000)
	sum := stage(-1, 0, 6000)
	sum.RequestedRate, sum.AchievedRate, sum.Generator = 0, 0, nil
	return &report.Report{Summary: sum, Stages: []report.Stage{s0, s1}, Partial: true, PartialReason: "interrupted in stage 1"}
}

var _ = Describe("WriteDir", func() {
	It("writes the current lifecycle format that ReadDir reads back", func() {
		dir := GinkgoT().TempDir()
		in := nativeReport()
		Expect(report.WriteDir(dir, in)).To(Succeed())
		names, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		Expect(names).To(ConsistOf(
			filepath.Join(dir, "summary_lifecycle_metrics.json"),
			filepath.Join(dir, "stage_0_lifecycle_metrics.json"),
			filepath.Join(dir, "stage_1_lifecycle_metrics.json")))

		out, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(out.Summary.Schema).To(Equal(report.SchemaCurrent))
		Expect(out.Partial).To(BeTrue())
		Expect(out.PartialReason).To(Equal("interrupted in stage 1"))
		Expect(out.Stages).To(HaveLen(2))
		s := out.Stages[1]
		Expect(s.RequestedRate).To(Equal(20.0))
		Expect(s.Requests).To(BeEquivalentTo(4000))
		Expect(s.Failures).To(BeEquivalentTo(3))
		Expect(s.FailuresByLabel["Connection Error"].Messages).To(Equal([]string{"connection refused"}))
		Expect(s.Generator).To(Equal(in.Stages[1].Generator))
		Expect(s.Duration).To(Equal(202 * time.Second))
		Expect(s.PromptTokensTotal).To(BeEquivalentTo(1024 * 3997))
		for _, m := range []report.Metric{report.TTFT, report.ITL, report.TTFTFromSchedule, report.RequestLatencyFromSchedule, report.PromptTokens} {
			d, ok := s.Distribution(m)
			Expect(ok).To(BeTrue(), string(m))
			for _, p := range report.StandardPercentiles() {
				want, _ := in.Stages[1].Distributions[m].Percentile(p)
				Expect(d.Percentile(p)).To(Equal(want), "%s p%g", m, p)
			}
		}
	})

	It("writes inference-perf's key order and shape", func() {
		dir := GinkgoT().TempDir()
		Expect(report.WriteDir(dir, nativeReport())).To(Succeed())
		data, err := os.ReadFile(filepath.Join(dir, "stage_0_lifecycle_metrics.json"))
		Expect(err).NotTo(HaveOccurred())
		text := string(data)
		Expect(strings.Index(text, `"mean"`)).To(BeNumerically("<", strings.Index(text, `"min"`)))
		Expect(strings.Index(text, `"max"`)).To(BeNumerically("<", strings.Index(text, `"p0.1"`)))
		Expect(text).To(ContainSubstring(`"median"`))
		var v map[string]any
		Expect(json.Unmarshal(data, &v)).To(Succeed())
		Expect(v).To(HaveKey("benchmark_time_seconds"))
		Expect(v["successes"]).To(HaveKey("prompt_tokens"))
		Expect(v["successes"]).NotTo(HaveKey("prompt_len"))
		Expect(v["failures"]).To(HaveKey("by_label"))
		Expect(v["load_summary"]).To(HaveKeyWithValue("requested_rate", 10.0))
	})
})

var _ = Describe("Report.JSON", func() {
	It("renders a legacy report in the current format", func() {
		r, err := report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
		data, err := r.JSON()
		Expect(err).NotTo(HaveOccurred())
		var v struct {
			Summary map[string]any   `json:"summary"`
			Stages  []map[string]any `json:"stages"`
		}
		Expect(json.Unmarshal(data, &v)).To(Succeed())
		Expect(v.Stages).To(HaveLen(7))
		ttft := v.Stages[3]["successes"].(map[string]any)["latency"].(map[string]any)["time_to_first_token"].(map[string]any)
		Expect(ttft["p99"]).To(Equal(0.18182665726635605))
		Expect(v.Stages[3]["successes"]).To(HaveKey("prompt_tokens"))
		Expect(v.Summary["load_summary"]).NotTo(HaveKey("requested_rate"))
	})
})

var _ = Describe("text and Markdown", func() {
	It("prints a table per stage with latencies in ms", func() {
		r, err := report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
		var b bytes.Buffer
		Expect(r.WriteText(&b)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("(inference-perf schema <=v0.4)"))
		Expect(b.String()).To(MatchRegexp(`stage 3\s+92\.19\s+92\.22\s+5531\s+5531\s+0\s+0\.00%`))
		Expect(b.String()).To(MatchRegexp(`time_to_first_token\s+5531\s+50\.55ms\s+44\.52ms\s+64\.36ms\s+80\.24ms\s+181\.8ms\s+226\.8ms\s+270\.2ms`))

		b.Reset()
		Expect(r.WriteMarkdown(&b)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("| stage 3 | 92.19 | 92.22 | 5531 | 5531 | 0 | 0.00% |"))
		Expect(b.String()).To(ContainSubstring("| time_to_first_token | 38717 |"))
	})

	It("flags a partial report and lists failures", func() {
		var b bytes.Buffer
		Expect(nativeReport().WriteMarkdown(&b)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("**Partial report**: interrupted in stage 1"))
		Expect(b.String()).To(ContainSubstring("- Connection Error: 3"))
	})
})
