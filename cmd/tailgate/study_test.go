package main

import (
	"bytes"
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("tailgate study --realtime", func() {
	study := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := dispatch(context.Background(), append([]string{"study"}, args...), stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
		return code, out.String(), errOut.String()
	}

	It("prints the P99 TTFT spread of real-time runs beside the virtual-time model's, each with its intervals", func() {
		code, out, errOut := study("--realtime", "2", "--realtime-duration", "10s", "--reps", "10")
		Expect(code).To(Equal(0), errOut)
		Expect(errOut).To(MatchRegexp(`real-time run 2 of 2: P99 TTFT \d+ ms, achieved \d+\.\d\d req/s`))
		Expect(out).To(MatchRegexp(`\| real time: native engine \+ simulated vLLM on loopback .*\| 2 \| \d+ ms \(-?\d+–\d+\) \|`))
		Expect(out).To(MatchRegexp(`\| virtual time: mockvllm.Simulate, same profile and noise \| 10 \| \d+ ms \(\d+–\d+\) \| \d+\.\d ms \(\d+\.\d–\d+\.\d\) \|`))
	})

	It("names the flags when asked for too little", func() {
		code, _, errOut := study("--realtime", "1")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--realtime needs at least 2 runs"))
	})
})
