package cluster_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
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
	dirs, reps := nativeReportDirs(ctx, 1, 20)
	return dirs[0], reps[0]
}

// nativeReportDirs runs n native engines at the same time, each at rate req/s for
// a few seconds, against one fast simulated vLLM (the shards of a run), and writes
// each one's report directory.
func nativeReportDirs(ctx context.Context, n int, rate float64) ([]string, []*report.Report) {
	GinkgoHelper()
	prof := mockvllm.FixedProfile(20*time.Millisecond, 2*time.Millisecond)
	sim, err := mockvllm.Start(context.WithoutCancel(ctx), mockvllm.Options{Model: "m", CustomProfile: &prof})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	cfg := framework.ApplySettings(scenarios.Production(), framework.Settings{TargetURL: sim.URL(), Model: "m"})
	cfg.Load.Stages = []scenarios.Stage{{Rate: rate, Duration: 3}}
	cfg.Data.InputDistribution = &scenarios.Distribution{Type: scenarios.DistFixed, Min: 32, Max: 32, Mean: 32}
	cfg.Data.OutputDistribution = &scenarios.Distribution{Type: scenarios.DistFixed, Min: 8, Max: 8, Mean: 8}
	dirs, reps, errs := make([]string, n), make([]*report.Report, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		dirs[i] = GinkgoT().TempDir()
		wg.Go(func() {
			m, err := (&framework.NativeRunner{TimelineInterval: 500 * time.Millisecond}).Run(ctx, cfg)
			if errs[i] = err; err == nil {
				reps[i], errs[i] = m.Report, report.WriteDir(dirs[i], m.Report)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		Expect(err).NotTo(HaveOccurred())
	}
	return dirs, reps
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
