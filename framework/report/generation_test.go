package report_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

var _ = Describe("reports of inference-perf before v0.3.0 (per-line SSE timestamps)", func() {
	const stage3 = "stage_3_lifecycle_metrics.json"
	fileTPOT := func(key string) float64 {
		return fileValue(filepath.Join(realDir, stage3), "successes", "latency", "time_per_output_token", key)
	}
	var r *report.Report
	BeforeEach(func() {
		var err error
		r, err = report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
	})

	It("detects the defect in every stage of the real H100 run from the report alone", func() {
		raw, err := os.ReadFile(filepath.Join(realDir, stage3))
		Expect(err).NotTo(HaveOccurred())
		st, err := report.ParseStage(raw) // ParseStage leaves the file's figures as they are
		Expect(err).NotTo(HaveOccurred())
		ls, ok := report.DetectLineStamping(st)
		Expect(ok).To(BeTrue())
		// (1.0213 s − 50.5 ms)/7.516 ms = 129.15 stamps − 1 per request: 64 events,
		// each followed by a blank line, plus [DONE] and its blank line.
		Expect(ls.Events).To(Equal(64))
		Expect(ls.Factor).To(Equal(129.0 / 64))
		Expect(ls.Uniform).To(BeTrue())
		Expect(ls.ITLMedian).To(BeNumerically("~", 48.58e-6, 1e-8))
		Expect(report.Corrections(r)).To(HaveLen(2 * 8)) // TPOT and ITL, summary and 7 stages
	})

	It("judges a TPOT promise on the corrected TPOT, about twice the file's", func() {
		d, ok := r.Stages[3].Distribution(report.TPOT)
		Expect(ok).To(BeTrue())
		Expect(d.Percentile(99)).To(BeNumerically("~", fileTPOT("p99")*129/64, 1e-15))
		Expect(d.Percentile(50)).To(BeNumerically("~", fileTPOT("median")*129/64, 1e-15))
		Expect(d.Mean()).To(BeNumerically("~", fileTPOT("mean")*129/64, 1e-15))
		Expect(d.Count()).To(BeEquivalentTo(5531))
		Expect(d.(*report.CorrectedStats).Correction).To(ContainSubstring("130 SSE lines minus one instead of by its 64 events"))

		By("the file's P99 TPOT (9.62 ms) would keep a 15 ms promise; the corrected 19.39 ms breaks it")
		Expect(fileTPOT("p99")).To(BeNumerically("<", 0.015))
		m := matchers.HaveP99TPOTBelow(15 * time.Millisecond)
		ok, err := m.Match(r.Stages[3])
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		Expect(m.FailureMessage(r.Stages[3])).To(ContainSubstring("19.39ms"))
		Expect(r.Stages[3]).To(matchers.HaveP99TPOTBelow(20 * time.Millisecond))
	})

	It("refuses an ITL promise and says why and which image fixes it", func() {
		for _, st := range append([]report.Stage{r.Summary}, r.Stages...) {
			d, ok := st.Distribution(report.ITL)
			Expect(ok).To(BeTrue())
			Expect(d.Exact()).To(BeEmpty())
			_, err := d.Percentile(50)
			Expect(err).To(MatchError(report.ErrLineStamped), st.Name())
		}
		ok, err := matchers.HaveP99ITLBelow(time.Hour).Match(r.Stages[3])
		Expect(ok).To(BeFalse(), "an ITL bound no server could break is still not judged")
		Expect(errors.Is(err, report.ErrLineStamped)).To(BeTrue())
		Expect(err).To(MatchError(ContainSubstring("median 0.049ms against a mean of 7.52ms")))
		Expect(err).To(MatchError(ContainSubstring("quay.io/inference-perf/inference-perf:v0.3.0")))
		Expect(err).To(MatchError(ContainSubstring("TAILGATE_INFERENCE_PERF_IMAGE")))
	})

	It("judges TTFT and request latency on the file's figures, as before", func() {
		d, _ := r.Stages[3].Distribution(report.TTFT)
		Expect(d.Percentile(99)).To(Equal(0.18182665726635605))
		Expect(r.Stages[3]).To(matchers.HaveP99TTFTBelow(250 * time.Millisecond))
		Expect(r.Stages[3]).NotTo(matchers.HaveP99TTFTBelow(100 * time.Millisecond))
		lat, _ := r.Stages[3].Distribution(report.RequestLatency)
		Expect(lat.Percentile(99)).To(Equal(fileValue(filepath.Join(realDir, stage3), "successes", "latency", "request_latency", "p99")))
	})

	// edited writes stage 3 of the real run into a directory after edit changed its latency block.
	edited := func(edit func(lat map[string]map[string]any)) *report.Report {
		GinkgoHelper()
		raw, err := os.ReadFile(filepath.Join(realDir, stage3))
		Expect(err).NotTo(HaveOccurred())
		var doc map[string]any
		Expect(json.Unmarshal(raw, &doc)).To(Succeed())
		lat := map[string]map[string]any{}
		for k, v := range doc["successes"].(map[string]any)["latency"].(map[string]any) {
			lat[k] = v.(map[string]any)
		}
		edit(lat)
		doc["successes"].(map[string]any)["latency"] = lat
		out, err := json.Marshal(doc)
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, stage3), out, 0o600)).To(Succeed())
		rep, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		return rep
	}

	It("leaves a per-event report of the same schema alone", func() {
		rep := edited(func(lat map[string]map[string]any) {
			// What v0.3.0 reports for the same streams: TPOT and ITL over the 64 events.
			for _, m := range []string{"time_per_output_token", "inter_token_latency"} {
				for k, v := range lat["time_per_output_token"] {
					lat[m][k] = v.(float64) * 129 / 64
				}
			}
		})
		d, _ := rep.Stages[0].Distribution(report.ITL)
		_, isStats := d.(*report.Stats)
		Expect(isStats).To(BeTrue())
		Expect(report.Corrections(rep)).To(BeEmpty())
	})

	It("refuses TPOT too when requests streamed different numbers of lines", func() {
		rep := edited(func(lat map[string]map[string]any) {
			lat["inter_token_latency"]["mean"] = lat["time_per_output_token"]["mean"].(float64) * 1.1
		})
		_, err := matchers.HaveP99TPOTBelow(time.Hour).Match(rep.Stages[0])
		Expect(err).To(MatchError(report.ErrLineStamped))
		Expect(err).To(MatchError(ContainSubstring("cannot be rescaled exactly")))
	})

	It("does not touch the newer schema generations", func() {
		for _, dir := range []string{"crafted-v0.5", "crafted-v0.6", "crafted-v0.6.1", "crafted-current"} {
			rep, err := report.ReadDir(filepath.Join(fixtures, dir))
			Expect(err).NotTo(HaveOccurred())
			Expect(report.Corrections(rep)).To(BeEmpty(), dir)
		}
	})
})
