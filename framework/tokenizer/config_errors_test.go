package tokenizer_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// withComponent is a minimal tokenizer.json with one component set to the given JSON.
func withComponent(key, component string) string {
	return `{"added_tokens": [], "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
  "model": {"type": "BPE", "unk_token": "<unk>", "vocab": {"<unk>": 0, "a": 1}, "merges": []},
  "` + key + `": ` + component + `}`
}

var _ = Describe("bad pre-tokenizers and post-processors", func() {
	DescribeTable("are refused with the component's path, type and what is wrong",
		func(key, component, want string) {
			_, err := tokenizer.Parse([]byte(withComponent(key, component)))
			Expect(err).To(MatchError(ContainSubstring(want)))
		},
		Entry("a Split without a pattern", "pre_tokenizer", `{"type": "Split", "behavior": "Isolated"}`,
			"pre_tokenizer (Split): missing pattern (String or Regex)"),
		Entry("a Split in a sequence with an unknown behavior", "pre_tokenizer",
			`{"type": "Sequence", "pretokenizers": [{"type": "Digits"}, {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"}]}`,
			"pre_tokenizer.pretokenizers[1] (Split):"),
		Entry("a ByteLevel that is not the last step", "pre_tokenizer",
			`{"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}, {"type": "Digits"}]}`,
			"pre_tokenizer.pretokenizers[0]: a ByteLevel pre-tokenizer followed by other pre-tokenizers is not supported"),
		Entry("an unknown pre-tokenizer", "pre_tokenizer", `{"type": "Punctuation"}`,
			`pre_tokenizer: unsupported type "Punctuation"`),
		Entry("a template without the sequence", "post_processor",
			`{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}], "special_tokens": {"<s>": {"ids": [1]}}}`,
			"post_processor (TemplateProcessing): single has no Sequence"),
		Entry("a template naming a special token it does not define", "post_processor",
			`{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}], "special_tokens": {}}`,
			`post_processor (TemplateProcessing): single[0]: special token "<s>" missing from special_tokens`),
		Entry("a template with the sequence twice, inside a Sequence", "post_processor",
			`{"type": "Sequence", "processors": [{"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A"}}, {"Sequence": {"id": "A"}}], "special_tokens": {}}]}`,
			"post_processor.processors[0] (TemplateProcessing): single[1]: the sequence appears twice"),
		Entry("a BertProcessing whose cls is not [token, id]", "post_processor",
			`{"type": "BertProcessing", "cls": ["[CLS]"], "sep": ["[SEP]", 2]}`,
			"post_processor (BertProcessing): cls must be [token, id]"),
		Entry("an unknown post-processor", "post_processor", `{"type": "Wrap"}`,
			`post_processor: unsupported type "Wrap"`),
	)

	It("reads cls and sep around a RobertaProcessing sequence", func() {
		tok := parse(withComponent("post_processor", `{"type": "RobertaProcessing", "cls": ["<s>", 5], "sep": ["</s>", 6]}`))
		Expect(tok.Encode("a", true)).To(Equal([]int{5, 1, 6}))
	})
})
