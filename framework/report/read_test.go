package report_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

const fixtures = "../../fixtures/reports"

var realDir = filepath.Join(fixtures, "vllm-v0.11-llama3-8b-h100")

// fileValue reads one number from a report file by its key path.
func fileValue(file string, keys ...string) float64 {
	GinkgoHelper()
	data, err := os.ReadFile(file)
	Expect(err).NotTo(HaveOccurred())
	var v any
	Expect(json.Unmarshal(data, &v)).To(Succeed())
	for _, k := range keys {
		v = v.(map[string]any)[k]
	}
	return v.(float64)
}

var _ = Describe("ReadDir", func() {
	DescribeTable("parses every report generation",
		func(dir, schema string, stages int) {
			r, err := report.ReadDir(filepath.Join(fixtures, dir))
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Summary.Schema).To(Equal(schema))
			Expect(r.Stages).To(HaveLen(stages))
			for i, s := range r.Stages {
				Expect(s.ID).To(Equal(i))
				Expect(s.Schema).To(Equal(schema))
				Expect(s.Requests).To(BeNumerically(">", 0))
				Expect(s.RequestedRate).To(BeNumerically(">", 0))
				Expect(s.AchievedRate).To(BeNumerically(">", 0))
			}
			Expect(r.Partial).To(BeFalse())
			Expect(r.Summary.Distributions).To(HaveKey(report.RequestLatency))
			Expect(r.Summary.Distributions).To(HaveKey(report.PromptTokens))
		},
		Entry("real sweep, <=v0.4", "vllm-v0.11-llama3-8b-h100", report.SchemaV04, 7),
		Entry("v0.5", "crafted-v0.5", report.SchemaV05, 2),
		Entry("v0.6", "crafted-v0.6", report.SchemaV06, 2),
		Entry("v0.6.1", "crafted-v0.6.1", report.SchemaV061, 2),
		Entry("current", "crafted-current", report.SchemaCurrent, 2),
	)

	It("parses every fixture directory", func() {
		dirs, err := os.ReadDir(fixtures)
		Expect(err).NotTo(HaveOccurred())
		n := 0
		for _, d := range dirs {
			if !d.IsDir() || d.Name() == "bad" {
				continue
			}
			_, err := report.ReadDir(filepath.Join(fixtures, d.Name()))
			Expect(err).NotTo(HaveOccurred(), d.Name())
			n++
		}
		Expect(n).To(BeNumerically(">=", 5))
	})

	Describe("the real sweep", func() {
		var r *report.Report
		BeforeEach(func() {
			var err error
			r, err = report.ReadDir(realDir)
			Expect(err).NotTo(HaveOccurred())
		})

		It("reads stage 3's P99 TTFT as the file has it", func() {
			want := fileValue(filepath.Join(realDir, "stage_3_lifecycle_metrics.json"),
				"successes", "latency", "time_to_first_token", "p99")
			Expect(want).To(Equal(0.18182665726635605))
			d, ok := r.Stages[3].Distribution(report.TTFT)
			Expect(ok).To(BeTrue())
			Expect(d.Percentile(99)).To(Equal(want))
			Expect(d.Percentile(50)).To(Equal(0.04451845702715218))
			Expect(d.Max()).To(Equal(0.27017339202575386))
			Expect(d.Percentile(100)).To(Equal(0.27017339202575386))
		})

		It("reads the load summary, counts and throughput", func() {
			s := r.Stages[3]
			Expect(s.Requests).To(BeEquivalentTo(5531))
			Expect(s.Successes).To(BeEquivalentTo(5531))
			Expect(s.Failures).To(BeZero())
			Expect(s.RequestedRate).To(Equal(92.19))
			Expect(s.AchievedRate).To(Equal(92.22409851829183))
			Expect(s.SendDuration).To(BeNumerically("~", 59973478*time.Microsecond, time.Microsecond))
			Expect(s.Duration).To(BeZero(), "<=v0.4 has no benchmark_time_seconds")
			Expect(s.Throughput.OutputTokensPerSec).To(Equal(5693.884076290361))
			Expect(r.Summary.ID).To(Equal(-1))
			Expect(r.Summary.Requests).To(BeEquivalentTo(38717))
			Expect(r.Summary.RequestedRate).To(BeZero(), "the summary file has no rates")
		})

		It("gives per-request metrics the success count, and schedule delay the request count", func() {
			s := r.Stages[3]
			for _, m := range []report.Metric{report.TTFT, report.TPOT, report.NTPOT, report.RequestLatency, report.ITL, report.PromptTokens} {
				d, ok := s.Distribution(m)
				Expect(ok).To(BeTrue(), string(m))
				Expect(d.Count()).To(BeEquivalentTo(5531), string(m))
			}
			d, _ := s.Distribution(report.ScheduleDelay)
			Expect(d.Count()).To(BeEquivalentTo(5531))
			Expect(d.Min()).To(BeNumerically("<", 0), "negative schedule delay is kept")
		})

		It("names the available percentiles when asked for another", func() {
			d, _ := r.Stages[3].Distribution(report.TTFT)
			_, err := d.Percentile(97)
			Expect(err).To(MatchError("p97 is not in the report file; available: p0.1, p1, p5, p10, p25, p50, p75, p90, p95, p99, p99.9, max"))
			Expect(d.Exact()).To(HaveLen(12))
		})

		It("maps legacy prompt_len onto prompt tokens", func() {
			d, ok := r.Stages[3].Distribution(report.PromptTokens)
			Expect(ok).To(BeTrue())
			Expect(d.Percentile(99)).To(Equal(212.0))
		})
	})

	It("leaves metrics absent when the file has null (non-streaming run)", func() {
		r, err := report.ReadDir(filepath.Join(fixtures, "crafted-current"))
		Expect(err).NotTo(HaveOccurred())
		for _, m := range []report.Metric{report.TTFT, report.ITL, report.TPOT} {
			_, ok := r.Summary.Distribution(m)
			Expect(ok).To(BeFalse(), string(m))
		}
		_, ok := r.Summary.Distribution(report.NTPOT)
		Expect(ok).To(BeTrue())
		Expect(r.Summary.Goodput).NotTo(BeNil())
		Expect(r.Summary.Goodput.Percentage).To(Equal(97.5))
		Expect(r.Summary.Goodput.Attainment).To(HaveKeyWithValue(report.RequestLatency, 97.5))
		Expect(r.Stages[1].FailuresByLabel).To(HaveKeyWithValue("503 - Service Unavailable",
			report.FailureLabel{Count: 10, Messages: []string{"queue full"}}))
		Expect(r.Stages[1].Failures).To(BeEquivalentTo(12))
		Expect(r.Stages[1].ErrorRate()).To(BeNumerically("~", 12.0/2400, 1e-12))
		Expect(r.Stages[1].PromptTokensTotal).To(BeEquivalentTo(512 * 2388))
		Expect(r.Stages[1].Duration).To(Equal(121500 * time.Millisecond))
	})

	DescribeTable("bad files give errors naming the file and the problem",
		func(dir, file, problem string) {
			_, err := report.ReadDir(filepath.Join(fixtures, "bad", dir))
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(file))
			Expect(err.Error()).To(ContainSubstring(problem))
		},
		Entry("truncated", "truncated", "stage_0_lifecycle_metrics.json", "truncated JSON"),
		Entry("not JSON", "not-json", "summary_lifecycle_metrics.json", "not valid JSON at byte 1"),
		Entry("empty", "empty", "summary_lifecycle_metrics.json", "empty file"),
		Entry("wrong type", "wrong-type", "summary_lifecycle_metrics.json", `successes.count: want a number, got the string "3588"`),
	)

	It("refuses a directory without lifecycle reports", func() {
		_, err := report.ReadDir(GinkgoT().TempDir())
		Expect(err).To(MatchError(ContainSubstring("no inference-perf lifecycle report")))
	})

	It("marks a report without its summary file partial", func() {
		dir := GinkgoT().TempDir()
		data, err := os.ReadFile(filepath.Join(realDir, "stage_3_lifecycle_metrics.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "stage_3_lifecycle_metrics.json"), data, 0o644)).To(Succeed())
		r, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(r.Partial).To(BeTrue())
		Expect(r.PartialReason).To(ContainSubstring("summary_lifecycle_metrics.json is missing"))
	})

	It("refuses Python's NaN and Infinity with the key, and leaves them alone inside strings", func() {
		_, err := report.ParseStage([]byte(`{"load_summary": {"count": 3, "schedule_delay": null},
			"successes": {"count": 3, "latency": {"time_to_first_token": {"mean": 0.1, "min": 0.1, "max": Infinity, "p99": 0.2}}}}`))
		Expect(err).To(MatchError(HavePrefix("successes.latency.time_to_first_token.max: Infinity (written by Python")))
		_, err = report.ParseStage([]byte(`{"successes": {"count": 3, "latency": {"request_latency": {"p50": NaN}}}}`))
		Expect(err).To(MatchError(HavePrefix("successes.latency.request_latency.p50: NaN")))
		st, err := report.ParseStage([]byte(`{"successes": {"count": 3, "latency": {"time_to_first_token": {"min": 0.1, "max": 0.3, "p99": 0.2}}},
			"note": "NaN, -Infinity and \\\"Infinity\\\" inside a string stay"}`))
		Expect(err).NotTo(HaveOccurred())
		d, ok := st.Distribution(report.TTFT)
		Expect(ok).To(BeTrue())
		Expect(d.Percentile(99)).To(Equal(0.2))
	})

	It("rejects a number of the wrong kind with its path", func() {
		_, err := report.ParseStage([]byte(`{"load_summary": {"count": 2.5}}`))
		Expect(err).To(MatchError(ContainSubstring("load_summary.count: want a non-negative whole number")))
		_, err = report.ParseStage([]byte(`[1,2]`))
		Expect(err).To(MatchError("top level is an array, want a JSON object"))
		_, err = report.ParseStage([]byte(`{"successes": {"latency": {"request_latency": [1]}}}`))
		Expect(err).To(MatchError("successes.latency.request_latency: want an object, got an array"))
	})
})
