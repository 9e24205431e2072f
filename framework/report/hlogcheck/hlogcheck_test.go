package hlogcheck_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/report"
)

// productionRun runs the production scenario (Poisson, 15 req/s, synthetic
// prompts) shortened to 8 s against the simulated vLLM and writes its files.
func productionRun(ctx SpecContext) string {
	GinkgoHelper()
	cfg, err := framework.LoadScenario("production", "", "")
	Expect(err).NotTo(HaveOccurred())
	g, err := framework.Prepare(ctx, framework.PrepareInput{Settings: framework.Settings{Duration: 8 * time.Second}, Scenario: cfg})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(g.Close)
	m, err := g.Run(ctx)
	Expect(err).NotTo(HaveOccurred())
	dir := GinkgoT().TempDir()
	Expect(report.WriteDir(dir, m.Report)).To(Succeed())
	return dir
}

// fileCounts reads the request counts of one lifecycle file with encoding/json only.
func fileCounts(path string) (requests, successes, failures int64) {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var f struct {
		LoadSummary struct{ Count int64 } `json:"load_summary"`
		Successes   struct{ Count int64 } `json:"successes"`
		Failures    struct{ Count int64 } `json:"failures"`
	}
	Expect(json.Unmarshal(data, &f)).To(Succeed())
	return f.LoadSummary.Count, f.Successes.Count, f.Failures.Count
}

// logCount sums the counts of every interval of one .hlog, read with
// hdrhistogram-go's HistogramLogReader and nothing else.
func logCount(path string) (total int64, intervals int) {
	GinkgoHelper()
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	r := hdrhistogram.NewHistogramLogReader(f)
	for {
		h, err := r.NextIntervalHistogram()
		Expect(err).NotTo(HaveOccurred(), path)
		if h == nil {
			return total, intervals
		}
		total += h.TotalCount()
		intervals++
	}
}

var _ = Describe("a production run's report directory", func() {
	It("holds the interval logs, the timeline and report.html, and the logs' counts equal the report's exactly", func(ctx SpecContext) {
		dir := *reportDir
		if dir == "" {
			dir = productionRun(ctx)
		}
		Expect(filepath.Join(dir, "report.html")).To(BeARegularFile())
		stages, err := filepath.Glob(filepath.Join(dir, "stage_*_lifecycle_metrics.json"))
		Expect(err).NotTo(HaveOccurred())
		Expect(stages).NotTo(BeEmpty())
		var allRequests, logged int64
		for _, lifecycle := range stages {
			id := regexp.MustCompile(`stage_(\d+)_`).FindStringSubmatch(filepath.Base(lifecycle))[1]
			requests, successes, failures := fileCounts(lifecycle)
			allRequests += requests
			Expect(filepath.Join(dir, fmt.Sprintf("stage_%s_timeline.jsonl", id))).To(BeARegularFile())
			logs, err := filepath.Glob(filepath.Join(dir, fmt.Sprintf("stage_%s_*.hlog", id)))
			Expect(err).NotTo(HaveOccurred())
			Expect(len(logs)).To(BeNumerically(">=", 8), "a log per latency metric")
			want := map[string]int64{
				"schedule_delay": requests, "request_latency": successes, "request_latency_from_schedule": successes,
				"normalized_time_per_output_token": successes, "time_to_first_token": successes,
				"time_to_first_token_from_schedule": successes, "failures.request_latency": failures,
			}
			seen := map[string]int64{}
			intervals := -1
			for _, path := range logs {
				n, k := logCount(path)
				metric := regexp.MustCompile(`^stage_\d+_(.+)\.hlog$`).FindStringSubmatch(filepath.Base(path))[1]
				seen[metric] = n
				if intervals >= 0 {
					Expect(k).To(Equal(intervals), "every log of a stage holds the same intervals: %s", path)
				}
				intervals = k
			}
			for metric, n := range want {
				if n == 0 && seen[metric] == 0 {
					continue
				}
				Expect(seen).To(HaveKeyWithValue(metric, n), "stage %s: %s", id, metric)
			}
			logged += seen["schedule_delay"]
		}
		summary, _, _ := fileCounts(filepath.Join(dir, "summary_lifecycle_metrics.json"))
		Expect(allRequests).To(Equal(summary))
		Expect(logged).To(Equal(summary))
		Expect(summary).To(BeNumerically(">", 0))
	}, NodeTimeout(5*time.Minute))
})
