package main

import (
	"bytes"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("bench", func() {
	It("prints every section of the table with goals judged (--quick)", func(ctx SpecContext) {
		var out, errb bytes.Buffer
		code := dispatch(ctx, []string{"bench", "--quick", "--server", "inprocess"}, stdio{in: strings.NewReader(""), out: &out, err: &errb})
		Expect(code).To(Equal(0), errb.String())
		s := out.String()
		for _, want := range []string{"1. Schedule lag", "2. Client measurement error", "3. Capacity", "4. Memory", "5. Non-streaming", "vegeta v12.13.0", "req/s", " ms", "MiB", "µs"} {
			Expect(s).To(ContainSubstring(want))
		}
		Expect(s).To(MatchRegexp(`P99 ≤ 1\.000 ms: (PASS|MISS)`))
		Expect(s).To(MatchRegexp(`goal < 32\.0 MiB: (PASS|MISS)`))
		Expect(s).To(ContainSubstring("scaled down from 1,000,000"))
	}, SpecTimeout(90*time.Second))
	It("runs only the sections --only names, and sums up their figures over --reps", func(ctx SpecContext) {
		var out, errb bytes.Buffer
		code := dispatch(ctx, []string{"bench", "--quick", "--server", "inprocess", "--only", "lag", "--reps", "2"}, stdio{in: strings.NewReader(""), out: &out, err: &errb})
		Expect(code).To(Equal(0), errb.String())
		s := out.String()
		Expect(s).To(ContainSubstring("1. Schedule lag"))
		Expect(s).To(ContainSubstring("pacer P99"))
		Expect(s).To(ContainSubstring("Summary over 2 repetitions"))
		Expect(s).To(MatchRegexp(`control: lag P99, evenly spaced 16-token streams +\d+\.\d+ ms`))
		for _, absent := range []string{"2. Client measurement error", "3. Capacity", "4. Memory", "5. Non-streaming", "client TTFT error P99", "memory growth"} {
			Expect(s).NotTo(ContainSubstring(absent))
		}
	}, SpecTimeout(90*time.Second))
	It("refuses an unknown --only section before starting anything", func(ctx SpecContext) {
		var out, errb bytes.Buffer
		Expect(dispatch(ctx, []string{"bench", "--only", "lag,latency"}, stdio{in: strings.NewReader(""), out: &out, err: &errb})).To(Equal(2))
		Expect(errb.String()).To(ContainSubstring(`unknown section "latency": use memory, capacity, lag, error, non-streaming (--only)`))
	})
	It("refuses an unknown --server", func(ctx SpecContext) {
		var out, errb bytes.Buffer
		Expect(dispatch(ctx, []string{"bench", "--server", "cloud"}, stdio{in: strings.NewReader(""), out: &out, err: &errb})).To(Equal(2))
		Expect(errb.String()).To(ContainSubstring("--server \"cloud\": use process or inprocess"))
	})
})
