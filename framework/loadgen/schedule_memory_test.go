package loadgen

import (
	"math"
	"runtime"
	"sort"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// heapAllocated returns the bytes f allocated on the heap.
func heapAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

var _ = Describe("schedules at huge rates", func() {
	// A stage at the highest allowed rate for a month plans 2.6e11 sends.
	const month = 30 * 24 * time.Hour
	n := int(MaxRate * month.Seconds())

	It("plans a constant schedule lazily: making it and drawing sends allocates nothing per send", func(SpecContext) {
		allocs := testing.AllocsPerRun(5, func() {
			a := newConstantArrivals(1, n, month.Seconds())
			for range 100_000 {
				a.next()
			}
		})
		Expect(allocs).To(BeNumerically("<=", 4), "allocations per schedule of %d sends", n)
	}, SpecTimeout(time.Minute)) // a schedule planned up front takes hours here

	It("plans a poisson schedule lazily: a window of 100,000 sends is not held in memory", func() {
		bytes := heapAllocated(func() {
			p := newPoissonArrivals(1, n, MaxRate)
			for range 3 * MaxRate {
				p.next()
			}
		})
		Expect(bytes).To(BeNumerically("<", 16<<10), "heap bytes for 3 windows of %d sends", MaxRate)
	})

	It("keeps the constant schedule's distribution: n-1 sorted uniform offsets, the last at the end", func() {
		const k, d = 20_001, 7.0
		a := newConstantArrivals(9, k, d)
		xs := make([]float64, 0, k)
		for {
			at, ok := a.next()
			if !ok {
				break
			}
			xs = append(xs, at.Seconds())
		}
		Expect(xs).To(HaveLen(k))
		Expect(sort.Float64sAreSorted(xs)).To(BeTrue())
		Expect(xs[k-1]).To(Equal(d))
		// Kolmogorov-Smirnov distance of the first k-1 offsets to U(0, d),
		// against the 99.9% critical value 1.95/sqrt(k-1).
		ks := 0.0
		for i, x := range xs[:k-1] {
			f := x / d
			ks = math.Max(ks, math.Max(f-float64(i)/float64(k-1), float64(i+1)/float64(k-1)-f))
		}
		Expect(ks).To(BeNumerically("<", 1.95/math.Sqrt(k-1)))
	})
})
