package report_test

import (
	"testing"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// BenchmarkHistogramRecord measures the per-sample cost of recording a latency.
func BenchmarkHistogramRecord(b *testing.B) {
	h := report.NewHistogram()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.Record(0.001 + float64(i%5000)*1e-5)
	}
}

// BenchmarkHistogramRecordParallel measures recording from many goroutines into one histogram.
func BenchmarkHistogramRecordParallel(b *testing.B) {
	h := report.NewHistogram()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		v := 0.001
		for pb.Next() {
			h.Record(v)
			v += 1e-6
		}
	})
}

// BenchmarkHistogramPercentile measures reading one percentile.
func BenchmarkHistogramPercentile(b *testing.B) {
	h := report.NewHistogram()
	for i := 0; i < 100000; i++ {
		h.Record(float64(i) * 1e-5)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = h.Percentile(99)
	}
}
