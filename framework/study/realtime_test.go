package study_test

import (
	"context"
	"math"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/study"
)

var _ = Describe("Summarize", func() {
	It("gives the mean and SD with their 95% intervals", func() {
		s := study.Summarize([]float64{1, 2, 3, 4, 5, 6, 7, 8})
		Expect(s.Mean).To(Equal(4.5))
		Expect(s.SD).To(BeNumerically("~", math.Sqrt(6), 1e-12))
		// t(0.975, 7) = 2.365; chi-square(7) 2.5% and 97.5% quantiles 1.690 and 16.013.
		Expect(s.MeanHigh - s.Mean).To(BeNumerically("~", 2.365*math.Sqrt(6)/math.Sqrt(8), 0.01))
		Expect(s.SDLow).To(BeNumerically("~", math.Sqrt(6*7/16.013), 0.02))
		Expect(s.SDHigh).To(BeNumerically("~", math.Sqrt(6*7/1.690), 0.1))
		Expect(s.CV).To(BeNumerically("~", math.Sqrt(6)/4.5, 1e-12))
	})
})

var _ = Describe("VirtualP99s", func() {
	It("simulates seeded runs whose P99 TTFT varies from run to run", func() {
		v, err := study.VirtualP99s(context.Background(), 30*time.Second, 6, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(HaveLen(6))
		again, err := study.VirtualP99s(context.Background(), 30*time.Second, 6, 1)
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(Equal(v), "seeded")
		s := study.Summarize(v)
		Expect(s.Mean).To(BeNumerically(">", 0.05))
		Expect(s.SD).To(BeNumerically(">", 0))
	})
})
