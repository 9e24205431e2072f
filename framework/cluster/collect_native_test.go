package cluster_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// nativeReportDir runs the native engine for a few seconds against a fast
// simulated vLLM and writes its report directory, interval logs included.
func nativeReportDir(ctx context.Context) (string, *report.Report) {
	GinkgoHelper()
	prof := mockvllm.FixedProfile(20*time.Millisecond, 2*time.Millisecond)
	sim, err := mockvllm.Start(context.WithoutCancel(ctx), mockvllm.Options{Model: "m", CustomProfile: &prof})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	cfg := framework.ApplySettings(scenarios.Production(), framework.Settings{TargetURL: sim.URL(), Model: "m"})
	cfg.Load.Stages = []scenarios.Stage{{Rate: 20, Duration: 3}}
	cfg.Data.InputDistribution = &scenarios.Distribution{Type: scenarios.DistFixed, Min: 32, Max: 32, Mean: 32}
	cfg.Data.OutputDistribution = &scenarios.Distribution{Type: scenarios.DistFixed, Min: 8, Max: 8, Mean: 8}
	m, err := (&framework.NativeRunner{TimelineInterval: 500 * time.Millisecond}).Run(ctx, cfg)
	Expect(err).NotTo(HaveOccurred())
	dir := GinkgoT().TempDir()
	Expect(report.WriteDir(dir, m.Report)).To(Succeed())
	return dir, m.Report
}

var _ = Describe("collecting a native-engine Job's report from its pod log", func() {
	It("carries the interval histogram logs and timelines, so the host answers any percentile as the pod recorded it", func(ctx SpecContext) {
		dir, want := nativeReportDir(ctx)
		logs, _ := filepath.Glob(filepath.Join(dir, "*.hlog"))
		Expect(logs).NotTo(BeEmpty())

		var podLog bytes.Buffer
		Expect(cluster.WriteReportLog(&podLog, dir)).To(Succeed())
		got := GinkgoT().TempDir()
		names, err := cluster.ExtractReportFiles(&podLog, got)
		Expect(err).NotTo(HaveOccurred())
		Expect(names).To(ContainElements(filepath.Base(logs[0]), report.TimelineFile(0), report.SummaryFile))
		for _, f := range logs {
			a, _ := os.ReadFile(f)
			b, err := os.ReadFile(filepath.Join(got, filepath.Base(f)))
			Expect(err).NotTo(HaveOccurred())
			Expect(b).To(Equal(a), filepath.Base(f))
		}

		back, err := report.ReadDir(got)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Stages).To(HaveLen(1))
		Expect(back.Stages[0].Timeline).NotTo(BeNil())
		Expect(back.Stages[0].Timeline.Intervals).To(HaveLen(len(want.Stages[0].Timeline.Intervals)))
		w, err := want.Summary.Distributions[report.TTFT].Percentile(99.99)
		Expect(err).NotTo(HaveOccurred())
		g, err := back.Summary.Distributions[report.TTFT].Percentile(99.99)
		Expect(err).NotTo(HaveOccurred(), "p99.99 needs the histograms, which only the interval logs carry")
		Expect(g).To(Equal(w))
	}, SpecTimeout(2*time.Minute))
})
