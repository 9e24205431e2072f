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
	It("refuses an unknown --server", func(ctx SpecContext) {
		var out, errb bytes.Buffer
		Expect(dispatch(ctx, []string{"bench", "--server", "cloud"}, stdio{in: strings.NewReader(""), out: &out, err: &errb})).To(Equal(2))
		Expect(errb.String()).To(ContainSubstring("--server \"cloud\": use process or inprocess"))
	})
})
