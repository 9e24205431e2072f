package loadgen

import (
	"math"
	"math/rand/v2"
	"time"
)

// arrivals yields the planned send offsets of one stage, measured from the
// end of the stage's lead-in, in order. It holds O(1) state and plans
// nothing ahead, so neither memory nor start-up time grows with rate or
// duration.
type arrivals interface {
	// next returns the next offset, or false when the stage has no more sends.
	next() (time.Duration, bool)
}

// constantArrivals is inference-perf's "constant" timer: n exponential gaps
// rescaled so they sum to exactly the stage duration (a Poisson process
// conditioned on n arrivals; the last send lands exactly at the end).
// Rescaled partial sums of exponential gaps are distributed as the sorted
// draws of n-1 uniforms, which sortedUniforms yields one at a time, so the
// schedule costs no planning pass and no memory, whatever the rate.
type constantArrivals struct {
	u        sortedUniforms
	n, i     int
	duration float64 // seconds
}

// newConstantArrivals plans n = int(rate·duration) sends over duration (seconds).
func newConstantArrivals(seed uint64, n int, duration float64) *constantArrivals {
	return &constantArrivals{u: newSortedUniforms(rand.New(rand.NewPCG(seed, 0x5ca1ab1e)), n-1), n: n, duration: duration}
}

func (c *constantArrivals) next() (time.Duration, bool) {
	if c.i >= c.n {
		return 0, false
	}
	c.i++
	if c.i == c.n {
		return seconds(c.duration), true
	}
	return seconds(c.u.next() * c.duration), true
}

// sortedUniforms yields k uniform draws on [0, 1) in increasing order, one
// at a time in O(1) memory: given the last value x, the next is the minimum
// of the k-i draws still to come, spread over [x, 1): x + (1-x)·(1-V^(1/(k-i))).
type sortedUniforms struct {
	rng  *rand.Rand
	left int     // draws still to come
	rest float64 // 1 - the last value
}

func newSortedUniforms(rng *rand.Rand, k int) sortedUniforms {
	return sortedUniforms{rng: rng, left: max(k, 0), rest: 1}
}

// next returns the next value; past the last draw it returns the last again.
func (s *sortedUniforms) next() float64 {
	if s.left > 0 {
		// V^(1/m) = exp(log(V)/m), with V in (0, 1].
		s.rest *= math.Exp(math.Log(1-s.rng.Float64()) / float64(s.left))
		s.left--
	}
	return 1 - s.rest
}

// poissonArrivals is inference-perf's "poisson" timer: for each 1-second
// window draw k ~ Poisson(rate); an empty window is skipped; otherwise k sends
// are spread over the window with rescaled exponential gaps, the last at the
// window's end. The stream is cut at n sends, so the count is fixed and the
// schedule's length varies around the stage duration. Within a window the
// offsets come from sortedUniforms, so nothing is stored.
type poissonArrivals struct {
	rng    *rand.Rand
	rate   float64
	n, i   int
	window float64 // start of the current window, seconds
	k, j   int     // sends in the current window; sends made in it
	u      sortedUniforms
}

func newPoissonArrivals(seed uint64, n int, rate float64) *poissonArrivals {
	return &poissonArrivals{rng: rand.New(rand.NewPCG(seed, 0xb0a710)), rate: rate, n: n, window: -1}
}

func (p *poissonArrivals) next() (time.Duration, bool) {
	if p.i >= p.n {
		return 0, false
	}
	for p.j >= p.k { // the window is used up (or empty): draw the next one
		p.window++
		p.k, p.j = poisson(p.rng, p.rate), 0
		p.u = newSortedUniforms(p.rng, p.k-1)
	}
	p.j++
	p.i++
	if p.j == p.k {
		return seconds(p.window + 1), true
	}
	return seconds(p.window + p.u.next()), true
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
