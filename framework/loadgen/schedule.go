package loadgen

import (
	"math"
	"math/rand/v2"
	"time"
)

// arrivals yields the planned send offsets of one stage, measured from the
// end of the stage's lead-in, in order. It holds O(1) state (O(rate) for
// poisson), so a million-request stage costs no memory for its schedule.
type arrivals interface {
	// next returns the next offset, or false when the stage has no more sends.
	next() (time.Duration, bool)
}

// constantArrivals is inference-perf's "constant" timer: n exponential gaps
// rescaled so they sum to exactly the stage duration (a Poisson process
// conditioned on n arrivals; the last send lands exactly at the end).
type constantArrivals struct {
	rng   *rand.Rand
	n, i  int
	scale float64 // seconds per unit of raw exponential gap
	t     float64 // seconds since the stage start
}

// newConstantArrivals plans n = int(rate·duration) sends over duration.
// The raw gaps are drawn twice from the same seeded stream: once to learn
// their sum, once to emit them, so nothing is stored.
func newConstantArrivals(seed uint64, n int, duration float64) *constantArrivals {
	src := rand.NewPCG(seed, 0x5ca1ab1e)
	probe := *src
	pr := rand.New(&probe)
	sum := 0.0
	for i := 0; i < n; i++ {
		sum += pr.ExpFloat64()
	}
	c := &constantArrivals{rng: rand.New(src), n: n}
	if sum > 0 {
		c.scale = duration / sum
	}
	return c
}

func (c *constantArrivals) next() (time.Duration, bool) {
	if c.i >= c.n {
		return 0, false
	}
	c.i++
	c.t += c.rng.ExpFloat64() * c.scale
	return seconds(c.t), true
}

// poissonArrivals is inference-perf's "poisson" timer: for each 1-second
// window draw k ~ Poisson(rate); an empty window is skipped; otherwise k sends
// are spread over the window with rescaled exponential gaps, the last at the
// window's end. The stream is cut at n sends, so the count is fixed and the
// schedule's length varies around the stage duration.
type poissonArrivals struct {
	rng     *rand.Rand
	rate    float64
	n, i    int
	started bool
	window  float64   // start of the current window, seconds
	gaps    []float64 // the current window's offsets within it
	j       int
}

func newPoissonArrivals(seed uint64, n int, rate float64) *poissonArrivals {
	return &poissonArrivals{rng: rand.New(rand.NewPCG(seed, 0xb0a710)), rate: rate, n: n}
}

func (p *poissonArrivals) next() (time.Duration, bool) {
	if p.i >= p.n {
		return 0, false
	}
	for p.j >= len(p.gaps) {
		if p.started {
			p.window++ // past the window just used up, or an empty one
		}
		p.started = true
		k := poisson(p.rng, p.rate)
		if k == 0 {
			p.gaps, p.j = p.gaps[:0], 0
			continue
		}
		p.fill(k)
	}
	at := p.window + p.gaps[p.j]
	p.j++
	p.i++
	return seconds(at), true
}

// fill places k arrivals in the current window, the last at its end.
func (p *poissonArrivals) fill(k int) {
	if cap(p.gaps) < k {
		p.gaps = make([]float64, k)
	}
	p.gaps = p.gaps[:k]
	sum := 0.0
	for i := range p.gaps {
		sum += p.rng.ExpFloat64()
		p.gaps[i] = sum
	}
	for i := range p.gaps {
		p.gaps[i] /= sum
	}
	p.j = 0
}

// uniformArrivals spaces n sends evenly over the duration, the last at its
// end. It is not an inference-perf timer (whose "constant" is itself
// Poisson-like); it is the evenly paced reference the burstiness lesson needs.
type uniformArrivals struct {
	n, i int
	gap  float64
}

func (u *uniformArrivals) next() (time.Duration, bool) {
	if u.i >= u.n {
		return 0, false
	}
	u.i++
	return seconds(float64(u.i) * u.gap), true
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// poisson draws from Poisson(lambda): by multiplication of uniforms for small
// lambda, and by Hörmann's transformed rejection (PTRS) above 10.
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda < 10 {
		limit := math.Exp(-lambda)
		k, prod := 0, rng.Float64()
		for prod > limit {
			k++
			prod *= rng.Float64()
		}
		return k
	}
	slam := math.Sqrt(lambda)
	loglam := math.Log(lambda)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := rng.Float64() - 0.5
		v := rng.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invAlpha)-math.Log(a/(us*us)+b) <= -lambda+k*loglam-lg {
			return int(k)
		}
	}
}
