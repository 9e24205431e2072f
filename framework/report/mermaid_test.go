package report_test

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// mermaidLines returns the values of each "line [...]" of a Mermaid chart.
func mermaidLines(md string) [][]float64 {
	GinkgoHelper()
	var out [][]float64
	for _, m := range regexp.MustCompile(`(?m)^    line \[(.*)\]$`).FindAllStringSubmatch(md, -1) {
		var vs []float64
		for _, f := range strings.Split(m[1], ", ") {
			v, err := strconv.ParseFloat(f, 64)
			Expect(err).NotTo(HaveOccurred())
			vs = append(vs, v)
		}
		out = append(out, vs)
	}
	return out
}

var _ = Describe("WriteMermaidTTFT", func() {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	sla := []report.Verdict{{Promise: "TTFT p99 < 1.2s", Outcome: report.Pass, Metric: report.TTFT, Percentile: 99, Threshold: 1.2}}

	It("draws the TTFT promise nearest to P99 when the SLA has several", func() {
		k := newKnownRun(52, start, 1000, 10, 100)
		both := []report.Verdict{
			{Promise: "TTFT p95 < 600ms", Outcome: report.Pass, Metric: report.TTFT, Percentile: 95, Threshold: 0.6},
			sla[0],
		}
		var b bytes.Buffer
		Expect(report.WriteMermaidTTFT(&b, k.rep, both)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("vs SLA p99 ≤ 1,200 ms (flat line)"))
	})

	It("charts TTFT P99 per interval with the SLA as a flat line", func() {
		k := newKnownRun(51, start, 1000, 10, 100)
		var b bytes.Buffer
		Expect(report.WriteMermaidTTFT(&b, k.rep, sla)).To(Succeed())
		md := b.String()
		Expect(md).To(ContainSubstring("```mermaid\nxychart-beta\n"))
		Expect(md).To(ContainSubstring(`title "TTFT P99 per 1s (ms) vs SLA p99 ≤ 1,200 ms (flat line)"`))
		Expect(md).To(ContainSubstring(`x-axis "time since start (s)" ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]`))
		lines := mermaidLines(md)
		Expect(lines).To(HaveLen(2))
		for i, iv := range k.rep.Stages[0].Timeline.Intervals {
			v, _, err := iv.Percentile(report.TTFT, 99)
			Expect(err).NotTo(HaveOccurred())
			Expect(lines[0][i]).To(BeNumerically("~", v*1000, 0.006))
			Expect(lines[1][i]).To(Equal(1200.0))
		}
	})

	It("merges a long run's intervals into at most 60 windows, each window's P99 exact", func() {
		k := newKnownRun(52, start, 13000, 130, 100)
		var b bytes.Buffer
		Expect(report.WriteMermaidTTFT(&b, k.rep, nil)).To(Succeed())
		lines := mermaidLines(b.String())
		Expect(lines).To(HaveLen(1), "no SLA line without a TTFT verdict")
		top := regexp.MustCompile(`y-axis "TTFT P99 \(ms\)" 0 --> ([0-9.]+)`).FindStringSubmatch(b.String())
		Expect(top).NotTo(BeNil())
		Expect(strconv.ParseFloat(top[1], 64)).To(BeNumerically(">=", slices.Max(lines[0])), "the axis holds every point")
		Expect(lines[0]).To(HaveLen(44), "130 intervals in windows of 3")
		ivs := k.rep.Stages[0].Timeline.Intervals
		w := report.Timeline{Intervals: ivs[126:129]}
		h, err := w.Merged(report.TTFT)
		Expect(err).NotTo(HaveOccurred())
		want, _ := h.Percentile(99)
		Expect(lines[0][42]).To(BeNumerically("~", math.Round(want*1e5)/100, 1e-9))
		Expect(b.String()).To(ContainSubstring(`"126"`))
	})

	It("writes nothing for a report without a timeline", func() {
		r, err := report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
		var b bytes.Buffer
		Expect(report.WriteMermaidTTFT(&b, r, sla)).To(Succeed())
		Expect(b.Len()).To(BeZero())
	})
})
