//go:build hftokenizers

package tokenizer_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// Built only with -tags hftokenizers (and libtokenizers.a): the Rust library must agree with
// the golden vectors and with the pure-Go backend.
var _ = Describe("rust backend", func() {
	It("matches the golden vectors and the Go backend", func() {
		Expect(tokenizer.RustAvailable).To(BeTrue())
		for _, m := range []struct {
			pkg func() tokenizer.NPMPackage
			ids func(goldenRow) []int
		}{
			{tokenizer.Qwen3NPM, func(r goldenRow) []int { return r.Qwen3 }},
			{tokenizer.Llama3NPM, func(r goldenRow) []int { return r.Llama3 }},
		} {
			path := npmTokenizerPath(m.pkg())
			rust, err := tokenizer.FromFileWith(path, tokenizer.BackendRust)
			Expect(err).NotTo(HaveOccurred())
			gotok, err := tokenizer.FromFileWith(path, tokenizer.BackendGo)
			Expect(err).NotTo(HaveOccurred())
			Expect(rust.SpecialTokenIDs()).To(Equal(gotok.SpecialTokenIDs()))
			Expect(rust.VocabSize()).To(Equal(gotok.VocabSize()))
			for _, r := range readGolden() {
				ids, err := rust.Encode(r.Text, false)
				Expect(err).NotTo(HaveOccurred())
				Expect(ids).To(Equal(m.ids(r)), "text %q", r.Text)
				for _, special := range []bool{false, true} {
					want, _ := gotok.Encode(r.Text, special)
					Expect(rust.Encode(r.Text, special)).To(Equal(want))
					rd, err := rust.Decode(want, special)
					Expect(err).NotTo(HaveOccurred())
					Expect(gotok.Decode(want, special)).To(Equal(rd))
				}
			}
		}
	})
})
