package study_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/study"
)

var _ = Describe("The paired design", func() {
	run := func(seed, noise uint64) mockvllm.SimStage {
		w := study.Production(30*time.Second, seed)
		w.NoiseSeed = noise
		st, err := mockvllm.Simulate(mockvllm.Qwen3_8B_H100(), w)
		Expect(err).NotTo(HaveOccurred())
		return st[0]
	}

	It("shares the workload and draws the server's noise apart", func() {
		a, b, again := run(7, 1), run(7, 2), run(7, 1)
		Expect(b.Requests).To(Equal(a.Requests))
		Expect(b.AchievedRate).To(Equal(a.AchievedRate), "the same arrival schedule")
		Expect(b.TTFTP99).NotTo(Equal(a.TTFTP99), "independent server noise")
		Expect(again.TTFTP99).To(Equal(a.TTFTP99), "seeded: the same seeds give the same run")
	})
})

var _ = Describe("The verdict study", func() {
	It("measures false fails and detections with their intervals for every method and design", func(ctx SpecContext) {
		cfg := study.Config{Durations: []time.Duration{70 * time.Second}, Reps: 20, Tolerance: 0.10, Threshold: 1200 * time.Millisecond}
		res, err := study.Measure(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Rows).To(HaveLen(2 * (1 + len(study.Injections()))))
		var buf bytes.Buffer
		Expect(res.WriteMarkdown(&buf)).To(Succeed())
		fmt.Fprintln(GinkgoWriter, buf.String())

		byServer := map[string]study.Row{}
		for _, r := range res.Rows {
			Expect(r.Rates).To(HaveLen(len(res.Methods)))
			for _, rt := range r.Rates {
				Expect(rt.Reps).To(Equal(20))
				rate := float64(rt.Fails) / float64(rt.Reps)
				Expect(rt.Low).To(BeNumerically("<=", rate))
				Expect(rt.High).To(BeNumerically(">=", rate))
			}
			if !r.Paired {
				byServer[r.Server] = r
			}
		}
		Expect(byServer["unchanged"].TrueChange).To(BeZero())
		strong := byServer["engine steps +25%"]
		Expect(strong.TrueChange).To(BeNumerically(">", 0.2), "slower steps lengthen the TTFT tail")
		Expect(byServer["front end +60 ms"].TrueChange).To(BeNumerically(">", byServer["front end +15 ms"].TrueChange))
		ratio := 2 // "point ratio" column
		Expect(res.Methods[ratio]).To(HavePrefix("point ratio"))
		Expect(strong.Rates[ratio].Fails).To(BeNumerically(">", byServer["unchanged"].Rates[ratio].Fails))
		Expect(byServer["unchanged"].Rates[0].Fails).To(BeZero(), "P99 TTFT is far below 1.2 s: the absolute gate never fails")
	})

	It("refuses too few repetitions", func() {
		_, err := study.Measure(context.Background(), study.Config{Durations: []time.Duration{time.Minute}, Reps: 1})
		Expect(err).To(MatchError(ContainSubstring("at least 2 repetitions")))
	})
})
