package main

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("tailgate run's limits", func() {
	It("refuses a rate no single generator can approach before any load, pointing at shards", func(ctx SpecContext) {
		code, _, errOut := runRunCmd(ctx, "--scenario", "production", "--rate", "1e9", "--duration", "2s", "--progress", "0")
		Expect(code).To(Equal(2), errOut)
		Expect(errOut).To(ContainSubstring("rate"))
		Expect(errOut).To(ContainSubstring("at most 100000 req/s"))
		Expect(errOut).To(ContainSubstring("shards"))
	}, SpecTimeout(10*time.Second))
})
