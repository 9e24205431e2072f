package report_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// BenchmarkWorstOver measures the search for the worst 10 s stretch of a
// production-length run: 600 one-second intervals of 15 TTFT samples each,
// what a failing promise costs on top of its judgement.
func BenchmarkWorstOver(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tl := &report.Timeline{Start: start, Interval: time.Second}
	h := report.NewHistogram()
	for i := range 600 {
		iv := report.Interval{Start: time.Duration(i) * time.Second, Length: time.Second, Sent: 15, Completed: 15}
		h.Reset()
		for range 15 {
			h.Record(0.05 + rng.ExpFloat64()*0.2)
		}
		if err := iv.SetHistogram(report.TTFT, h); err != nil {
			b.Fatal(err)
		}
		tl.Intervals = append(tl.Intervals, iv)
	}
	stages := []report.Stage{{ID: 0, Timeline: tl}}
	b.ReportAllocs()
	for b.Loop() {
		w, err := report.WorstOver(stages, nil, report.TTFT, 99, report.DefaultWorstWidth, nil)
		if err != nil || w == nil {
			b.Fatal(w, err)
		}
	}
}
