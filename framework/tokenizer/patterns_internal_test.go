package tokenizer

import (
	"math/rand/v2"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Pre-token splits of the hand-written matchers, worked out from the regexes by hand.
var _ = Describe("Split regex matchers", func() {
	split := func(pattern, s string) []string {
		m, ok := knownMatcher(pattern)
		Expect(ok).To(BeTrue())
		var out []string
		for i := 0; i < len(s); {
			end := m(s, i)
			Expect(end).To(BeNumerically(">", i))
			out = append(out, s[i:end])
			i = end
		}
		return out
	}
	DescribeTable("Qwen2/Qwen3",
		func(s string, want []string) { Expect(split(patternQwen2, s)).To(Equal(want)) },
		Entry("digits one by one", "abc 123", []string{"abc", " ", "1", "2", "3"}),
		Entry("newlines kept apart from the next word's space", "hello\n\n  world", []string{"hello", "\n\n", " ", " world"}),
		Entry("punctuation takes trailing newlines", "x!!\n\ny", []string{"x", "!!\n\n", "y"}),
		Entry("a tab joins the following word", "\tword", []string{"\tword"}),
		Entry("case-insensitive contractions", "'S'LL it's", []string{"'S", "'LL", " it", "'s"}),
		Entry("trailing spaces stay together", "a   ", []string{"a", "   "}),
		Entry("no-break space is whitespace", "a\u00a0\u00a0b", []string{"a", "\u00a0", "\u00a0b"}),
	)
	DescribeTable("Llama 3",
		func(s string, want []string) { Expect(split(patternLlama3, s)).To(Equal(want)) },
		Entry("digits by three", "12345 x", []string{"123", "45", " x"}),
		Entry("space before digits stands alone", "a 1", []string{"a", " ", "1"}),
	)
	DescribeTable("GPT-2",
		func(s string, want []string) { Expect(split(patternGPT2, s)).To(Equal(want)) },
		Entry("space joins words, digits and punctuation", "Hello world 42 !?", []string{"Hello", " world", " 42", " !?"}),
		Entry("case-sensitive contractions", "I'm  here\n", []string{"I", "'m", " ", " here", "\n"}),
		Entry("upper-case contraction is punctuation", "I'M", []string{"I", "'", "M"}),
	)
})

// The generic path (Go regexp plus the emulated "\s+(?!\S)" ending) must split exactly like
// the hand-written matchers; it is what other models' Split regexes go through.
var _ = Describe("generic Split regex with the lookahead ending", func() {
	pieces := []string{"a", "Zz", "é", "ſ", "K", "'", "'s", "'S", "'ll", "'RE", "'x", " ", "  ", "   ", "\t", "\n", "\r\n", "\r",
		"\u00a0", "\u3000", "\u0085", "\ufeff", "\u200b", "1", "234", "٣", "½", "!", "?!", ".", "中文", "👍🏽", "e\u0301", "\u0301", "<|im_end|>", "$", "_"}
	for _, p := range []struct{ name, pattern string }{
		{"Qwen2", patternQwen2}, {"Llama 3", patternLlama3}, {"GPT-2", patternGPT2},
	} {
		It("agrees with the hand-written "+p.name+" matcher on random text", func() {
			find, err := compileGenericRegex(p.pattern)
			Expect(err).NotTo(HaveOccurred())
			hand, _ := knownMatcher(p.pattern)
			rng := rand.New(rand.NewPCG(21, 22))
			for range 3000 {
				var b strings.Builder
				for range 1 + rng.IntN(14) {
					b.WriteString(pieces[rng.IntN(len(pieces))])
				}
				s := b.String()
				for i := 0; i < len(s); {
					a, e := find(s, i)
					Expect(a).To(Equal(i), "text %q at %d", s, i)
					Expect(e).To(Equal(hand(s, i)), "text %q at %d", s, i)
					i = e
				}
			}
		})
	}

	It("still rejects lookahead elsewhere in the pattern", func() {
		_, err := compileGenericRegex(`a(?=b)|\s+(?!\S)|\s+`)
		Expect(err).To(MatchError(ContainSubstring(`"(?="`)))
	})
})
