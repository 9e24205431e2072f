package tokenizer_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

var _ = Describe("backends", func() {
	var path string
	BeforeEach(func() {
		path = filepath.Join(GinkgoT().TempDir(), "tokenizer.json")
		Expect(os.WriteFile(path, []byte(metaspaceJSON), 0o644)).To(Succeed())
	})

	It("uses the Go backend by default and by name", func() {
		for _, b := range []tokenizer.Backend{"", tokenizer.BackendGo} {
			tok, err := tokenizer.FromFileWith(path, b)
			Expect(err).NotTo(HaveOccurred())
			Expect(tok.Encode("hi", false)).To(Equal([]int{5}))
		}
	})

	It("rejects an unknown backend", func() {
		_, err := tokenizer.FromFileWith(path, "python")
		Expect(err).To(MatchError(ContainSubstring(`unknown backend "python"`)))
	})

	It("explains how to get the rust backend when it is not built in", func() {
		if tokenizer.RustAvailable {
			Skip("built with -tags hftokenizers")
		}
		_, err := tokenizer.FromFileWith(path, tokenizer.BackendRust)
		Expect(err).To(MatchError(ContainSubstring("-tags hftokenizers")))
	})
})
