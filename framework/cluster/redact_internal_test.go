package cluster

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the benchmark pod's log in an error", func() {
	It("loses the API key and any URL password the benchmark printed", func() {
		log := "aiohttp.client_exceptions.ClientResponseError: 500, message='Internal Server Error', " +
			"url=URL('http://user:pw123@qwen3-vllm.default:8000/v1/completions')\nAuthorization: Bearer sk-live-1"
		got := redactSecrets(log, "sk-live-1")
		Expect(got).NotTo(Or(ContainSubstring("pw123"), ContainSubstring("sk-live-1")))
		Expect(got).To(ContainSubstring("qwen3-vllm.default:8000/v1/completions"), "the rest stays readable")
	})
})
