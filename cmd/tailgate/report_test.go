package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

const reportFixtures = "../../fixtures/reports"

// runReportCmd runs "tailgate report ARGS..." and returns exit code, stdout and stderr.
func runReportCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := dispatch(context.Background(), append([]string{"report"}, args...), stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

var _ = Describe("tailgate report", func() {
	real := filepath.Join(reportFixtures, "vllm-v0.11-llama3-8b-h100")

	It("prints the table of a report directory", func() {
		code, out, errOut := runReportCmd(real)
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(ContainSubstring("(inference-perf schema <=v0.4)"))
		Expect(out).To(MatchRegexp(`stage 3\s+92\.19\s+92\.22\s+5531`))
		Expect(out).To(MatchRegexp(`time_to_first_token\s+5531\s+50\.55ms\s+44\.52ms\s+64\.36ms\s+80\.24ms\s+181\.8ms`))
	})

	It("prints --json in the current lifecycle format whatever the generation", func() {
		for _, dir := range []string{"vllm-v0.11-llama3-8b-h100", "crafted-v0.5", "crafted-v0.6", "crafted-v0.6.1", "crafted-current"} {
			code, out, errOut := runReportCmd("--json", filepath.Join(reportFixtures, dir))
			Expect(code).To(Equal(0), errOut)
			var v struct {
				Summary json.RawMessage   `json:"summary"`
				Stages  []json.RawMessage `json:"stages"`
			}
			Expect(json.Unmarshal([]byte(out), &v)).To(Succeed(), dir)
			Expect(v.Stages).NotTo(BeEmpty())
			// every element is itself a current-format lifecycle file
			for _, raw := range append([]json.RawMessage{v.Summary}, v.Stages...) {
				st, err := report.ParseStage(raw)
				Expect(err).NotTo(HaveOccurred(), dir)
				Expect(st.Schema).To(Equal(report.SchemaCurrent), dir)
			}
		}
		_, out, _ := runReportCmd("--json", real)
		var v struct {
			Stages []map[string]any `json:"stages"`
		}
		Expect(json.Unmarshal([]byte(out), &v)).To(Succeed())
		ttft := v.Stages[3]["successes"].(map[string]any)["latency"].(map[string]any)["time_to_first_token"].(map[string]any)
		Expect(ttft["p99"]).To(Equal(0.18182665726635605))
	})

	It("prints --markdown", func() {
		code, out, _ := runReportCmd("--markdown", real)
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("| stage 3 | 92.19 | 92.22 | 5531 |"))
	})

	It("compares two report directories figure by figure", func() {
		// NEW is stage 3 alone against stage 2 alone, renumbered: a heavier load
		base, cur := GinkgoT().TempDir(), GinkgoT().TempDir()
		copyFile(filepath.Join(real, "stage_2_lifecycle_metrics.json"), filepath.Join(base, "stage_0_lifecycle_metrics.json"))
		copyFile(filepath.Join(real, "stage_3_lifecycle_metrics.json"), filepath.Join(cur, "stage_0_lifecycle_metrics.json"))
		code, out, _ := runReportCmd("--compare", base, cur)
		Expect(code).To(Equal(3), "stage files without a summary cannot be judged as a regression")
		Expect(out).To(ContainSubstring("CANNOT JUDGE  TTFT p99 within +10% of the baseline: TTFT p99: baseline: load not delivered or run incomplete, refusing to compare: partial report"))
		Expect(out).To(MatchRegexp(`achieved rate\s+61\.79\s+92\.22\s+\+30\.43\s+\+49\.3%`))
		Expect(out).To(MatchRegexp(`time_to_first_token p99\s+56\.96ms\s+181\.8ms\s+\+124\.9ms\s+\+219\.2%`))
	})

	It("prints its usage with -h and exits 0", func() {
		code, out, errOut := runReportCmd("-h")
		Expect(code).To(Equal(0))
		Expect(out).To(BeEmpty())
		Expect(errOut).To(ContainSubstring("usage: tailgate report [--json | --markdown] DIR"))
	})

	DescribeTable("errors",
		func(args []string, code int, want string) {
			got, _, errOut := runReportCmd(args...)
			Expect(got).To(Equal(code))
			Expect(errOut).To(ContainSubstring(want))
		},
		Entry("no directory", []string{}, 2, "want exactly one report directory"),
		Entry("truncated file", []string{filepath.Join(reportFixtures, "bad", "truncated")}, 1,
			"stage_0_lifecycle_metrics.json: truncated JSON"),
		Entry("non-JSON file", []string{"--json", filepath.Join(reportFixtures, "bad", "not-json")}, 1,
			"summary_lifecycle_metrics.json: not valid JSON"),
		Entry("missing directory", []string{"/nonexistent/reports"}, 1, "read report dir: open /nonexistent/reports"),
		Entry("compare with one directory", []string{"--compare", real}, 2, "--compare takes exactly two directories"),
		Entry("both --json and --markdown", []string{"--json", "--markdown", real}, 2, "choose one of --json and --markdown"),
	)
})

func copyFile(from, to string) {
	GinkgoHelper()
	data, err := os.ReadFile(from)
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(to, data, 0o644)).To(Succeed())
}
