package tokenizer_test

import (
	"math/rand/v2"
	"os"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// llama3WithBOS is the Llama 3 tokenizer with the post-processor of the current
// meta-llama/Meta-Llama-3-8B tokenizer.json, which adds <|begin_of_text|>; the npm copy
// predates that change and adds nothing.
func llama3WithBOS() tokenizer.Tokenizer {
	GinkgoHelper()
	data, err := os.ReadFile(npmTokenizerPath(tokenizer.Llama3NPM()))
	Expect(err).NotTo(HaveOccurred())
	re := regexp.MustCompile(`"post_processor":\s*\{[^}]*\}`)
	Expect(re.Match(data)).To(BeTrue())
	data = re.ReplaceAll(data, []byte(`"post_processor": {"type": "Sequence", "processors": [
	  {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
	  {"type": "TemplateProcessing",
	   "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
	   "pair": [],
	   "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}]}`))
	tok, err := tokenizer.Parse(data)
	Expect(err).NotTo(HaveOccurred())
	return tok
}

var _ = Describe("post-processor special tokens", func() {
	It("adds BOS with a TemplateProcessing post-processor and counts it", func() {
		tok := llama3WithBOS()
		Expect(tok.Encode("Hello world", true)).To(Equal([]int{128000, 9906, 1917}))
		Expect(tok.Encode("Hello world", false)).To(Equal([]int{9906, 1917}))
		Expect(tok.Count("", true)).To(Equal(1))
		Expect(tok.Decode([]int{128000, 9906, 1917}, true)).To(Equal("Hello world"))
		Expect(tok.Decode([]int{128000, 9906, 1917}, false)).To(Equal("<|begin_of_text|>Hello world"))
	})

	It("adds nothing for the ByteLevel post-processors of the npm Qwen3 and Llama 3 files", func() {
		Expect(qwen3Tokenizer().Encode("Hello world", true)).To(Equal([]int{9707, 1879}))
		Expect(llama3Tokenizer().Encode("Hello world", true)).To(Equal([]int{9906, 1917}))
	})
})

var _ = Describe("Synthesizer", func() {
	count := func(tok tokenizer.Tokenizer, s string) int {
		GinkgoHelper()
		n, err := tok.Count(s, true)
		Expect(err).NotTo(HaveOccurred())
		return n
	}

	// Target counts per data type: thousands in all, fewer for random prompts, whose text
	// (random vocabulary ids) defeats the word cache and so costs more to count.
	type kind struct {
		name           string
		make           func(*tokenizer.Synthesizer, *rand.Rand, int) (string, error)
		qwen, llamaBOS int
	}
	kinds := []kind{
		{"synthetic", (*tokenizer.Synthesizer).Synthetic, 2500, 600},
		{"random", (*tokenizer.Synthesizer).Random, 1200, 300},
	}
	for _, k := range kinds {
		It("hits every target length exactly with Qwen3 ("+k.name+")", func() {
			tok := qwen3Tokenizer()
			s, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{})
			Expect(err).NotTo(HaveOccurred())
			rng := rand.New(rand.NewPCG(11, 12))
			targets := []int{1, 2, 3, 8191, 8192}
			for range k.qwen / propertyScale {
				targets = append(targets, 1+rng.IntN(8192))
			}
			for _, n := range targets {
				text, err := k.make(s, rng, n)
				Expect(err).NotTo(HaveOccurred(), "target %d", n)
				Expect(count(tok, text)).To(Equal(n), "target %d, text %q", n, text)
			}
		})

		It("counts BOS in the target with Llama 3 ("+k.name+")", func() {
			tok := llama3WithBOS()
			s, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{})
			Expect(err).NotTo(HaveOccurred())
			Expect(s.MinTokens()).To(Equal(1))
			rng := rand.New(rand.NewPCG(13, 14))
			text, err := k.make(s, rng, 1)
			Expect(err).NotTo(HaveOccurred())
			Expect(text).To(BeEmpty())
			targets := []int{2, 3, 8192}
			for range k.llamaBOS / propertyScale {
				targets = append(targets, 1+rng.IntN(8192))
			}
			for _, n := range targets {
				text, err := k.make(s, rng, n)
				Expect(err).NotTo(HaveOccurred(), "target %d", n)
				ids, err := tok.Encode(text, true)
				Expect(err).NotTo(HaveOccurred())
				Expect(ids).To(HaveLen(n), "target %d", n)
				Expect(ids[0]).To(Equal(128000))
			}
			_, err = k.make(s, rng, 0)
			Expect(err).To(MatchError(ContainSubstring("minimum with this tokenizer is 1")))
		})
	}

	It("draws random prompts from non-special ids only", func() {
		tok := qwen3Tokenizer()
		s, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{})
		Expect(err).NotTo(HaveOccurred())
		rng := rand.New(rand.NewPCG(3, 4))
		special := map[int]bool{}
		for _, id := range tok.SpecialTokenIDs() {
			special[id] = true
		}
		for range 50 {
			text, err := s.Random(rng, 512)
			Expect(err).NotTo(HaveOccurred())
			ids, err := tok.Encode(text, true)
			Expect(err).NotTo(HaveOccurred())
			for _, id := range ids {
				Expect(special[id]).To(BeFalse(), "special id %d in %q", id, text)
			}
		}
	})

	It("cuts synthetic prompts from the corpus file when one is given", func() {
		tok := qwen3Tokenizer()
		corpus, err := os.ReadFile("testdata/corpus.txt")
		Expect(err).NotTo(HaveOccurred())
		s, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{CorpusFile: "testdata/corpus.txt"})
		Expect(err).NotTo(HaveOccurred())
		rng := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{1, 5, 17, 40} {
			for range 20 {
				text, err := s.Synthetic(rng, n)
				Expect(err).NotTo(HaveOccurred())
				Expect(count(tok, text)).To(Equal(n))
				Expect(string(corpus)).To(ContainSubstring(text))
			}
		}
		// Longer than the corpus: it wraps around.
		text, err := s.Synthetic(rng, 1000)
		Expect(err).NotTo(HaveOccurred())
		Expect(count(tok, text)).To(Equal(1000))
		Expect(text).To(ContainSubstring("lighthouse keeper"))
	})

	It("rejects an unreadable or too small corpus file, naming the option", func() {
		_, err := tokenizer.NewSynthesizer(qwen3Tokenizer(), tokenizer.SynthesizerOptions{CorpusFile: "testdata/absent.txt"})
		Expect(err).To(MatchError(ContainSubstring("data.corpus_file_path")))
		p := GinkgoT().TempDir() + "/tiny.txt"
		Expect(os.WriteFile(p, []byte("two words"), 0o644)).To(Succeed())
		_, err = tokenizer.NewSynthesizer(qwen3Tokenizer(), tokenizer.SynthesizerOptions{CorpusFile: p})
		Expect(err).To(MatchError(ContainSubstring("at least 16")))
	})

	It("generates a deterministic pseudo-English default corpus", func() {
		a := tokenizer.GenerateCorpus(42, 2000)
		Expect(tokenizer.GenerateCorpus(42, 2000)).To(Equal(a))
		Expect(tokenizer.GenerateCorpus(43, 2000)).NotTo(Equal(a))
		words := strings.Fields(a)
		Expect(len(words)).To(BeNumerically("~", 2000, 20))
		distinct := map[string]bool{}
		for _, w := range words {
			distinct[strings.ToLower(strings.Trim(w, ".,?!"))] = true
		}
		Expect(len(distinct)).To(BeNumerically(">", 300)) // a real vocabulary, not a few repeated words
		Expect(a).To(ContainSubstring("\n\n"))
	})

	It("gives the same prompts for the same seed", func() {
		s, err := tokenizer.NewSynthesizer(qwen3Tokenizer(), tokenizer.SynthesizerOptions{})
		Expect(err).NotTo(HaveOccurred())
		a, err := s.Synthetic(rand.New(rand.NewPCG(1, 1)), 300)
		Expect(err).NotTo(HaveOccurred())
		b, err := s.Synthetic(rand.New(rand.NewPCG(1, 1)), 300)
		Expect(err).NotTo(HaveOccurred())
		Expect(a).To(Equal(b))
	})
})
