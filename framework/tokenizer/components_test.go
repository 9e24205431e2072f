package tokenizer_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// sentencePieceJSON is a tiny Llama 2 style tokenizer: Prepend/Replace normalizers, BPE with
// byte fallback and a fused unknown token, a BOS template and the matching decoder chain.
const sentencePieceJSON = `{
  "version": "1.0",
  "added_tokens": [
    {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "▁"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
  "pre_tokenizer": null,
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [],
    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
  "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
    "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0xC3>": 3, "<0xA9>": 4, "▁": 5, "h": 6, "i": 7, "▁h": 8, "▁hi": 9, "a": 10},
    "merges": ["▁ h", "▁h i"]}
}`

// metaspaceJSON uses the Metaspace pre-tokenizer and decoder instead of normalizers, and
// a Digits pre-tokenizer before it.
const metaspaceJSON = `{
  "added_tokens": [],
  "normalizer": null,
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "Digits", "individual_digits": true},
    {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}]},
  "post_processor": null,
  "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true},
  "model": {"type": "BPE", "unk_token": "<unk>",
    "vocab": {"<unk>": 0, "▁": 1, "h": 2, "i": 3, "▁h": 4, "▁hi": 5, "1": 6, "2": 7, "12": 8, "▁1": 9},
    "merges": [["▁", "h"], ["▁h", "i"], ["1", "2"], ["▁", "1"]]}
}`

func parse(s string) tokenizer.Tokenizer {
	GinkgoHelper()
	tok, err := tokenizer.Parse([]byte(s))
	Expect(err).NotTo(HaveOccurred())
	return tok
}

func encode(tok tokenizer.Tokenizer, s string, special bool) []int {
	GinkgoHelper()
	ids, err := tok.Encode(s, special)
	Expect(err).NotTo(HaveOccurred())
	return ids
}

func decode(tok tokenizer.Tokenizer, ids []int, skip bool) string {
	GinkgoHelper()
	s, err := tok.Decode(ids, skip)
	Expect(err).NotTo(HaveOccurred())
	return s
}

var _ = Describe("SentencePiece-style BPE", func() {
	var tok tokenizer.Tokenizer
	BeforeEach(func() { tok = parse(sentencePieceJSON) })

	It("merges lowest rank first and adds BOS through the template", func() {
		Expect(encode(tok, "hi hi", true)).To(Equal([]int{1, 9, 9}))
		Expect(encode(tok, "hi hi", false)).To(Equal([]int{9, 9}))
		n, err := tok.Count("hi hi", true)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(3))
	})

	It("falls back to byte tokens and fuses unknown characters", func() {
		Expect(encode(tok, "é", false)).To(Equal([]int{5, 3, 4}))
		Expect(encode(tok, "xz", false)).To(Equal([]int{5, 0}))
	})

	It("decodes through Replace, ByteFallback, Fuse and Strip", func() {
		Expect(decode(tok, []int{1, 9, 9}, true)).To(Equal("hi hi"))
		Expect(decode(tok, []int{5, 3, 4}, false)).To(Equal("é"))
		Expect(decode(tok, []int{1, 9}, false)).To(Equal("<s> hi"))
	})

	It("splits special-token text out of the input", func() {
		Expect(encode(tok, "hi</s>", false)).To(Equal([]int{9, 2}))
	})

	It("reports its special tokens and vocabulary size", func() {
		Expect(tok.SpecialTokenIDs()).To(Equal([]int{1, 2}))
		Expect(tok.VocabSize()).To(Equal(11))
	})

	It("rejects ids outside the vocabulary", func() {
		_, err := tok.Decode([]int{9, 11}, false)
		Expect(err).To(MatchError(ContainSubstring("id 11 out of range")))
		_, err = tok.Decode([]int{-1}, false)
		Expect(err).To(MatchError(ContainSubstring("id -1 out of range")))
	})
})

var _ = Describe("Metaspace and Digits pre-tokenizers", func() {
	var tok tokenizer.Tokenizer
	BeforeEach(func() { tok = parse(metaspaceJSON) })

	It("prepends the replacement to the first word only and splits on it", func() {
		Expect(encode(tok, "hi hi", false)).To(Equal([]int{5, 5}))
		Expect(decode(tok, []int{5, 5}, false)).To(Equal("hi hi"))
	})

	It("isolates each digit before the merges could join them", func() {
		// Without Digits, "▁12" merges (1, 2) first: [▁, 12]. With it, "1" is the first
		// word (gets the prepended ▁, merged to ▁1) and "2" is not at the start.
		Expect(encode(tok, "12", false)).To(Equal([]int{9, 7}))
	})
})

var _ = Describe("tokenizer.json errors", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	withModel := func(model string) string {
		return `{"added_tokens": [], "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null, "model": ` + model + `}`
	}
	DescribeTable("names the unsupported or broken component",
		func(doc string, want []string) {
			_, err := tokenizer.Parse([]byte(doc))
			Expect(err).To(HaveOccurred())
			for _, w := range want {
				Expect(err.Error()).To(ContainSubstring(w))
			}
		},
		Entry("WordPiece model", withModel(`{"type": "WordPiece", "vocab": {"a": 0}}`), []string{"model", `"WordPiece"`}),
		Entry("Unigram model", withModel(`{"type": "Unigram", "vocab": [["a", 0.0]]}`), []string{"model", `"Unigram"`}),
		Entry("model without type", withModel(`{"vocab": {"a": 0}}`), []string{"model", `missing "type"`}),
		Entry("empty vocabulary", withModel(`{"type": "BPE", "vocab": {}, "merges": []}`), []string{"vocab is empty"}),
		Entry("merge of unknown tokens", withModel(`{"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}`), []string{"merges[0]", "not in the vocab"}),
		Entry("bad merge string", withModel(`{"type": "BPE", "vocab": {"a": 0}, "merges": ["ab"]}`), []string{"merges[0]", "two tokens"}),
		Entry("BPE dropout", withModel(`{"type": "BPE", "dropout": 0.1, "vocab": {"a": 0}, "merges": []}`), []string{"dropout"}),
		Entry("unknown normalizer", strings.Replace(metaspaceJSON, `"normalizer": null`, `"normalizer": {"type": "BertNormalizer"}`, 1), []string{"normalizer", `"BertNormalizer"`}),
		Entry("unknown pre-tokenizer", strings.Replace(metaspaceJSON, `{"type": "Digits", "individual_digits": true}`, `{"type": "CharDelimiterSplit", "delimiter": " "}`, 1), []string{"pre_tokenizer.pretokenizers[0]", `"CharDelimiterSplit"`}),
		Entry("lookahead regex outside the known patterns", strings.Replace(metaspaceJSON, `{"type": "Digits", "individual_digits": true}`, `{"type": "Split", "pattern": {"Regex": "\\s+(?!\\S)"}, "behavior": "Isolated", "invert": false}`, 1), []string{"pre_tokenizer.pretokenizers[0]", `\\s+(?!\\S)`}),
		Entry("unknown decoder", strings.Replace(metaspaceJSON, `"decoder": {"type": "Metaspace"`, `"decoder": {"type": "CTC"`, 1), []string{"decoder", `"CTC"`}),
		Entry("unknown post-processor", strings.Replace(metaspaceJSON, `"post_processor": null`, `"post_processor": {"type": "Whatever"}`, 1), []string{"post_processor", `"Whatever"`}),
		Entry("missing model", `{"added_tokens": []}`, []string{"model: missing"}),
		Entry("truncated file", sentencePieceJSON[:200], []string{"malformed JSON"}),
		Entry("not JSON", "<html>404</html>", []string{"malformed JSON"}),
		Entry("empty file", "", []string{"empty file"}),
	)

	It("names the file when FromFile fails", func() {
		p := filepath.Join(dir, "tokenizer.json")
		Expect(os.WriteFile(p, []byte(sentencePieceJSON[:100]), 0o644)).To(Succeed())
		_, err := tokenizer.FromFile(p)
		Expect(err).To(MatchError(And(ContainSubstring(p), ContainSubstring("malformed JSON"))))
		_, err = tokenizer.FromFile(filepath.Join(dir, "absent.json"))
		Expect(err).To(MatchError(ContainSubstring("absent.json")))
	})

	It("accepts lookahead-free Split regexes through Go's regexp", func() {
		doc := strings.Replace(metaspaceJSON, `{"type": "Digits", "individual_digits": true}`,
			`{"type": "Split", "pattern": {"Regex": "\\d"}, "behavior": "Isolated", "invert": false}`, 1)
		tok := parse(doc)
		Expect(encode(tok, "12", false)).To(Equal([]int{9, 7}))
		// Go's \d is ASCII-only; the translated class is Unicode like Oniguruma's:
		// the Arabic-Indic digits are split apart too, each an unknown token.
		Expect(encode(tok, "١٢", false)).To(Equal([]int{1, 0, 0}))
	})
})

// gpt2StyleJSON is a tiny GPT-2/RoBERTa-style tokenizer: ByteLevel pre-tokenizer with its
// own regex and a prefix space, RobertaProcessing, ByteLevel decoder.
const gpt2StyleJSON = `{
  "added_tokens": [
    {"id": 5, "content": "<s>", "special": true, "normalized": false},
    {"id": 6, "content": "</s>", "special": true, "normalized": false}],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
  "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 6], "cls": ["<s>", 5], "trim_offsets": true, "add_prefix_space": true},
  "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
  "model": {"type": "BPE", "vocab": {"Ġ": 0, "H": 1, "i": 2, "ĠH": 3, "ĠHi": 4, "<s>": 5, "</s>": 6, "!": 7},
    "merges": ["Ġ H", "ĠH i"]}
}`

var _ = Describe("GPT-2 style byte-level BPE", func() {
	var tok tokenizer.Tokenizer
	BeforeEach(func() { tok = parse(gpt2StyleJSON) })

	It("adds the prefix space, splits with the GPT-2 regex and wraps in <s> ... </s>", func() {
		Expect(encode(tok, "Hi Hi!", true)).To(Equal([]int{5, 4, 4, 7, 6}))
		Expect(encode(tok, "Hi Hi!", false)).To(Equal([]int{4, 4, 7}))
	})

	It("maps the byte alphabet back to text", func() {
		Expect(decode(tok, []int{5, 4, 4, 7, 6}, true)).To(Equal(" Hi Hi!"))
		Expect(decode(tok, []int{5, 4, 6}, false)).To(Equal("<s> Hi</s>"))
	})

	It("drops bytes the vocabulary cannot spell, as the Rust library does without an unknown token", func() {
		Expect(encode(tok, "Hé", false)).To(Equal([]int{3}))
	})
})

var _ = Describe("added tokens", func() {
	// "hello" is matched after the Lowercase normalizer (normalized: true), "<X>" on the raw
	// input (normalized: false); "~" strips the whitespace around it (lstrip, rstrip).
	const doc = `{
	  "added_tokens": [
	    {"id": 7, "content": "hello", "normalized": true, "special": false},
	    {"id": 8, "content": "<X>", "normalized": false, "special": true},
	    {"id": 9, "content": "~", "normalized": false, "special": false, "lstrip": true, "rstrip": true}],
	  "normalizer": {"type": "Lowercase"},
	  "pre_tokenizer": {"type": "WhitespaceSplit"},
	  "model": {"type": "BPE", "vocab": {"h": 0, "e": 1, "l": 2, "o": 3, "<": 4, "x": 5, ">": 6, "a": 10}, "merges": []}
	}`

	It("matches normalized tokens after normalization and the others on the raw text", func() {
		tok := parse(doc)
		Expect(encode(tok, "HELLO<X><x>", false)).To(Equal([]int{7, 8, 4, 5, 6}))
	})

	It("strips the whitespace around lstrip/rstrip tokens", func() {
		tok := parse(doc)
		Expect(encode(tok, "a  ~  a", false)).To(Equal([]int{10, 9, 10}))
	})

	It("skips only special tokens when decoding with skipSpecialTokens", func() {
		tok := parse(doc)
		Expect(decode(tok, []int{7, 8, 10}, true)).To(Equal("hello a"))
		Expect(decode(tok, []int{7, 8, 10}, false)).To(Equal("hello <X> a"))
	})
})
