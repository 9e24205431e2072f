package study

import (
	"context"
	"math"
	"time"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
)

// Sample summarises one figure over repeated runs: its mean and standard
// deviation, each with a 95% interval (Student's t for the mean, the
// chi-square distribution for the SD, through the Wilson–Hilferty
// approximation).
type Sample struct {
	N                       int
	Mean, MeanLow, MeanHigh float64
	SD, SDLow, SDHigh       float64
	CV                      float64
}

// Summarize is the Sample of values (at least two).
func Summarize(values []float64) Sample {
	n := len(values)
	s := Sample{N: n}
	if n < 2 {
		return s
	}
	s.Mean = mean(values)
	s.SD = sd(values)
	df := float64(n - 1)
	half := tQuantile975(n-1) * s.SD / math.Sqrt(float64(n))
	s.MeanLow, s.MeanHigh = s.Mean-half, s.Mean+half
	s.SDLow = s.SD * math.Sqrt(df/chiSquare(df, 1.959964))
	s.SDHigh = s.SD * math.Sqrt(df/chiSquare(df, -1.959964))
	s.CV = s.SD / s.Mean
	return s
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// chiSquare is the chi-square quantile with df degrees of freedom at the
// standard normal quantile z (Wilson–Hilferty).
func chiSquare(df, z float64) float64 {
	a := 2 / (9 * df)
	return df * math.Pow(1-a+z*math.Sqrt(a), 3)
}

// tQuantile975 is Student's t 97.5% quantile (Cornish–Fisher expansion).
func tQuantile975(df int) float64 {
	z, v := 1.959964, float64(df)
	z3, z5 := z*z*z, z*z*z*z*z
	return z + (z3+z)/(4*v) + (5*z5+16*z3+3*z)/(96*v*v)
}

// VirtualP99s simulates reps runs of the production scenario of length d in
// virtual time (qwen3-8b-h100 with its noise, workload and noise seeded
// 1..reps) and returns each run's P99 TTFT in seconds.
func VirtualP99s(ctx context.Context, d time.Duration, reps, workers int) ([]float64, error) {
	out := make([]float64, reps)
	err := parallel(ctx, workers, reps, func(i int) error {
		w := Production(d, uint64(i+1))
		w.SkipGaps = true
		st, err := mockvllm.Simulate(mockvllm.Qwen3_8B_H100(), w)
		if err != nil {
			return err
		}
		out[i] = st[0].TTFTPercentile(99)
		return nil
	})
	return out, err
}
