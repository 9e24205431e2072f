package main

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// A password in a target URL that does not parse is never printed by the
// CLI, whether the URL comes from --target or from a config file's base_url.
var _ = DescribeTable("tailgate run with an unparsable target URL",
	func(ctx SpecContext, raw string) {
		code, out, errOut := runRunCmd(ctx, "--scenario", "production", "--target", raw, "--duration", "2s", "--rate", "1")
		Expect(code).NotTo(BeZero())
		Expect(errOut).To(ContainSubstring("REDACTED"), "the error still shows which URL")
		Expect(out + errOut).NotTo(ContainSubstring("pw123"))

		dir := GinkgoT().TempDir()
		cfg := filepath.Join(dir, "config.yml")
		Expect(os.WriteFile(cfg, []byte(`api: {type: completion, streaming: true}
data: {type: mock}
load: {type: constant, stages: [{rate: 1, duration: 2}]}
server: {type: vllm, model_name: m, base_url: "`+raw+`"}
`), 0o644)).To(Succeed())
		code, out, errOut = runRunCmd(ctx, "--config", cfg)
		Expect(code).NotTo(BeZero())
		Expect(out + errOut).To(ContainSubstring("base_url"))
		Expect(out + errOut).NotTo(ContainSubstring("pw123"))
	},
	Entry("a port that is not a number", "http://user:pw123@127.0.0.1:abc"),
	Entry("a bad escape in the path", "http://user:pw123@127.0.0.1:8000/%zz"),
	Entry("an unclosed IPv6 bracket", "http://user:pw123@[::1"),
	Entry("a space in the user info", "http://us er:pw123@127.0.0.1:8000"),
)
