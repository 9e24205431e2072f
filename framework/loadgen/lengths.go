package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// LengthKind names the shape of a token-length distribution.
type LengthKind string

// The length distributions the native engine samples, as inference-perf's
// synthetic and random data generators do.
const (
	LengthNormal    LengthKind = "normal"
	LengthUniform   LengthKind = "uniform"
	LengthLognormal LengthKind = "lognormal"
	LengthFixed     LengthKind = "fixed"
)

// Lengths describes how many tokens a prompt or an output has. Samples are
// drawn, clipped to [Min, Max], rounded half to even, then clipped again: a
// clamped (not truncated) distribution, so out-of-range mass piles up at the
// bounds, exactly as inference-perf does.
type Lengths struct {
	Kind   LengthKind
	Min    int
	Max    int
	Mean   float64
	StdDev float64
}

// Validate reports an impossible distribution, naming the field to fix.
func (l Lengths) Validate() error {
	switch l.Kind {
	case LengthNormal, LengthUniform, LengthLognormal, LengthFixed:
	case "":
		return fmt.Errorf("type is empty; use normal, uniform, lognormal or fixed")
	default:
		return fmt.Errorf("type %q is not supported by the native engine; use normal, uniform, lognormal or fixed", l.Kind)
	}
	if l.Min > l.Max {
		return fmt.Errorf("min (%d) > max (%d)", l.Min, l.Max)
	}
	if l.Min < 0 {
		return fmt.Errorf("min (%d) must not be negative", l.Min)
	}
	if l.StdDev < 0 || math.IsNaN(l.StdDev) {
		return fmt.Errorf("std_dev (%g) must not be negative", l.StdDev)
	}
	if l.Kind == LengthNormal && (l.Mean < float64(l.Min) || l.Mean > float64(l.Max)) {
		return fmt.Errorf("mean (%g) must lie within [min, max] = [%d, %d]", l.Mean, l.Min, l.Max)
	}
	if l.Kind == LengthLognormal && l.Mean <= float64(l.Min) {
		return fmt.Errorf("lognormal mean (%g) must exceed min (%d)", l.Mean, l.Min)
	}
	return nil
}

// Sample draws one length from rng.
func (l Lengths) Sample(rng *rand.Rand) int {
	var v float64
	switch l.Kind {
	case LengthFixed:
		return int(l.Mean) // inference-perf truncates the fixed mean, without clipping
	case LengthUniform:
		v = float64(l.Min) + rng.Float64()*float64(l.Max-l.Min)
	case LengthLognormal:
		// Moment-matched to (mean-min, std_dev), then shifted by min.
		m := l.Mean - float64(l.Min)
		s2 := math.Log1p(l.StdDev * l.StdDev / (m * m))
		mu := math.Log(m) - s2/2
		v = math.Exp(mu+math.Sqrt(s2)*rng.NormFloat64()) + float64(l.Min)
	default:
		v = l.Mean + l.StdDev*rng.NormFloat64()
	}
	lo, hi := float64(l.Min), float64(l.Max)
	v = math.RoundToEven(math.Min(math.Max(v, lo), hi))
	return int(math.Min(math.Max(v, lo), hi))
}
