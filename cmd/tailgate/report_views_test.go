package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("tailgate report on a native engine's directory", Ordered, func() {
	var dir string
	var rep *report.Report
	BeforeAll(func(ctx SpecContext) {
		prof := mockvllm.FixedProfile(40*time.Millisecond, 4*time.Millisecond)
		sim, err := mockvllm.Start(ctx, mockvllm.Options{Model: "m", CustomProfile: &prof, Seed: 2, Faults: mockvllm.Faults{ErrorRate: 0.05}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sim.Close)
		res, err := loadgen.Run(ctx, loadgen.Options{
			BaseURL: sim.URL(), Model: "m", Streaming: true, Data: loadgen.DataMock, Load: loadgen.LoadConstant,
			Stages: []loadgen.Stage{{Rate: 50, Duration: 3 * time.Second}}, LeadIn: 100 * time.Millisecond, Seed: 4,
		})
		Expect(err).NotTo(HaveOccurred())
		rep = res.Report
		dir = GinkgoT().TempDir()
		Expect(report.WriteDir(dir, rep)).To(Succeed())
	}, NodeTimeout(time.Minute))

	It("answers --json --percentiles 99.99 exactly as the run recorded it", func() {
		code, out, errOut := runReportCmd("--json", "--percentiles", "50,p99.99", dir)
		Expect(code).To(Equal(0), errOut)
		var v struct {
			Summary map[string]map[string]float64   `json:"summary"`
			Stages  []map[string]map[string]float64 `json:"stages"`
		}
		Expect(json.Unmarshal([]byte(out), &v)).To(Succeed())
		for _, m := range []report.Metric{report.TTFT, report.RequestLatency, report.ITL} {
			d, _ := rep.Summary.Distribution(m)
			want, err := d.Percentile(99.99)
			Expect(err).NotTo(HaveOccurred())
			Expect(v.Summary[string(m)]["p99.99"]).To(Equal(want), "%s", m)
			Expect(v.Stages[0][string(m)]["p99.99"]).To(Equal(want), "%s", m)
			Expect(v.Summary[string(m)]["count"]).To(Equal(float64(d.Count())))
		}
	})

	It("prints the timeline, one row per interval", func() {
		code, out, errOut := runReportCmd("--timeline", dir)
		Expect(code).To(Equal(0), errOut)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		Expect(lines[0]).To(MatchRegexp(`stage\s+t\s+req/s asked\s+req/s sent\s+in flight\s+done\s+errors\s+TTFT p50\s+TTFT p99\s+ITL p50`))
		rows := 0
		for _, l := range lines[1:] {
			if strings.HasPrefix(strings.TrimSpace(l), "0 ") {
				rows++
			}
		}
		Expect(rows).To(Equal(len(rep.Stages[0].Timeline.Intervals)))
		Expect(out).To(MatchRegexp(`\s0\s+1\.0s\s+50\s+`), "the second interval asked for 50 req/s")
		Expect(out).To(ContainSubstring(`errors "503 - Service Unavailable" at `))
	})

	It("writes report.html with --html", func() {
		Expect(os.Remove(filepath.Join(dir, report.HTMLFile))).To(Succeed())
		code, out, errOut := runReportCmd("--html", dir)
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(ContainSubstring("report.html"))
		page, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(page)).To(ContainSubstring(`<svg class="chart" id="over-time-time_to_first_token"`))
	})
})

var _ = Describe("tailgate report views on an inference-perf directory", func() {
	real := filepath.Join(reportFixtures, "vllm-v0.11-llama3-8b-h100")

	It("names the percentiles available when asked for p99.99", func() {
		code, _, errOut := runReportCmd("--json", "--percentiles", "99.99", real)
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring("p99.99 is not in the report file; available: p0.1, p1, p5, p10, p25, p50, p75, p90, p95, p99, p99.9, max"))
	})

	It("says which files a timeline needs", func() {
		code, _, errOut := runReportCmd("--timeline", real)
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring("stage_<N>_timeline.jsonl and .hlog files"))
	})

	It("writes an HTML page of what the files hold", func() {
		dir := GinkgoT().TempDir()
		entries, err := os.ReadDir(real)
		Expect(err).NotTo(HaveOccurred())
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(real, e.Name()))
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)).To(Succeed())
		}
		code, _, errOut := runReportCmd("--html", dir)
		Expect(code).To(Equal(0), errOut)
		page, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(page)).To(ContainSubstring(`id="spectrum-time_to_first_token"`))
		Expect(string(page)).To(ContainSubstring(`id="vs-rate-time_to_first_token"`))
	})

	DescribeTable("refuses flag combinations that do not go together",
		func(want string, args ...string) {
			code, _, errOut := runReportCmd(append(args, real)...)
			Expect(code).To(Equal(2))
			Expect(errOut).To(ContainSubstring(want))
		},
		Entry("screenshot alone", "--screenshot goes with --html", "--screenshot"),
		Entry("percentiles without json", "--percentiles goes with --json", "--percentiles", "99"),
		Entry("two views", "choose one of --json, --markdown, --timeline and --html", "--timeline", "--html"),
	)
	It("refuses a malformed --percentiles", func() {
		code, _, errOut := runReportCmd("--json", "--percentiles", "99,abc", real)
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring(`--percentiles "99,abc": want percentiles in (0,100]`))
	})
})
