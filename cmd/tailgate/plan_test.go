package main

import (
	"bytes"
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("tailgate plan", func() {
	plan := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := dispatch(context.Background(), append([]string{"plan"}, args...), stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
		return code, out.String(), errOut.String()
	}

	It("prints each percentile promise's minimum duration at the scenario's rate", func() {
		code, out, errOut := plan("--scenario", "production", "--sla", "../../matchers/testdata/production-sla.yaml")
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(ContainSubstring("minimum stage duration at 15 req/s"))
		Expect(out).To(MatchRegexp(`time_to_first_token p99 < 200ms\s+1000\s+1m7s`))
		Expect(out).To(MatchRegexp(`request_latency p95 < 1.3s\s+200\s+14s`))
	})

	It("names the missing flag", func() {
		code, _, errOut := plan("--scenario", "production")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--sla is required"))
	})
})
