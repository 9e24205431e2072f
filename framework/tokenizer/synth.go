package tokenizer

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"unicode/utf8"
)

// SynthesizerOptions configures NewSynthesizer.
type SynthesizerOptions struct {
	// CorpusFile is the text the synthetic prompts are cut from (inference-perf's
	// data.corpus_file_path). Empty means a generated pseudo-English corpus.
	CorpusFile string
	// CorpusSeed seeds the generated corpus; 0 means the fixed default, so prompts are
	// reproducible across runs.
	CorpusSeed uint64
	// CorpusWords is the size of the generated corpus in words; 0 means 60,000.
	CorpusWords int
}

// Synthesizer makes prompts of an exact token count, with inference-perf's semantics: the
// count includes the special tokens the tokenizer adds (add_special_tokens=true), which is
// what vLLM reports as usage.prompt_tokens.
type Synthesizer struct {
	tok       Tokenizer
	corpus    []int
	overhead  int // tokens of the empty prompt (BOS and the like)
	vocab     int // ids drawn by Random are in [0, vocab)
	special   map[int]bool
	maxPasses int
}

// NewSynthesizer prepares prompt synthesis with tok.
func NewSynthesizer(tok Tokenizer, opts SynthesizerOptions) (*Synthesizer, error) {
	if tok == nil {
		return nil, errors.New("tokenizer: NewSynthesizer: nil tokenizer")
	}
	var text string
	if opts.CorpusFile != "" {
		b, err := os.ReadFile(opts.CorpusFile)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: corpus file (data.corpus_file_path): %w", err)
		}
		text = string(b)
	} else {
		seed := opts.CorpusSeed
		if seed == 0 {
			seed = 0x7a11_6a7e
		}
		words := opts.CorpusWords
		if words <= 0 {
			words = 60000
		}
		text = GenerateCorpus(seed, words)
	}
	ids, err := tok.Encode(text, false)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: encoding the corpus: %w", err)
	}
	s := &Synthesizer{tok: tok, special: map[int]bool{}, maxPasses: 20}
	for _, id := range tok.SpecialTokenIDs() {
		s.special[id] = true
	}
	for _, id := range ids {
		if !s.special[id] {
			s.corpus = append(s.corpus, id)
		}
	}
	if len(s.corpus) < 16 {
		return nil, fmt.Errorf("tokenizer: corpus file %q (data.corpus_file_path) has %d tokens; synthetic prompts need at least 16", opts.CorpusFile, len(s.corpus))
	}
	if s.overhead, err = tok.Count("", true); err != nil {
		return nil, fmt.Errorf("tokenizer: counting the empty prompt: %w", err)
	}
	s.vocab = tok.VocabSize()
	if mv, ok := tok.(ModelVocabSizer); ok {
		s.vocab = mv.ModelVocabSize()
	}
	specialInRange := 0
	for id := range s.special {
		if id >= 0 && id < s.vocab {
			specialInRange++
		}
	}
	if s.vocab <= 0 || specialInRange >= s.vocab {
		return nil, errors.New("tokenizer: the vocabulary has no non-special token; random prompts are impossible")
	}
	return s, nil
}

// MinTokens is the smallest count a prompt can have: the special tokens of the empty prompt.
func (s *Synthesizer) MinTokens() int { return max(s.overhead, 1) }

func (s *Synthesizer) checkTarget(tokens int) error {
	if tokens < s.MinTokens() {
		return fmt.Errorf("tokenizer: prompt of %d tokens requested; the minimum with this tokenizer is %d", tokens, s.MinTokens())
	}
	return nil
}

// Synthetic returns a slice of the corpus, starting at a random place, whose token count
// (special tokens included) is exactly tokens.
func (s *Synthesizer) Synthetic(rng *rand.Rand, tokens int) (string, error) {
	if err := s.checkTarget(tokens); err != nil {
		return "", err
	}
	n := tokens - s.overhead
	for attempt := 0; attempt < 8; attempt++ {
		// As inference-perf: a start in [0, len-target); a slice that grows past the end
		// of the corpus (or a target longer than the corpus) wraps around.
		start := rng.IntN(len(s.corpus))
		if len(s.corpus) > n {
			start = rng.IntN(len(s.corpus) - n)
		}
		length := n
		for pass := 0; pass < s.maxPasses; pass++ {
			text, err := s.tok.Decode(s.slice(start, length), true)
			if err != nil {
				return "", err
			}
			c, err := s.tok.Count(text, true)
			if err != nil {
				return "", err
			}
			if c == tokens {
				return text, nil
			}
			length = max(length+tokens-c, 1)
		}
		// BPE merges across the cut oscillated: cut the text of a slightly longer slice at
		// the character where the count matches.
		text, err := s.tok.Decode(s.slice(start, n+8), true)
		if err != nil {
			return "", err
		}
		if out, ok, err := s.cutToCount(text, tokens); err != nil || ok {
			return out, err
		}
	}
	return "", fmt.Errorf("tokenizer: could not synthesize a prompt of exactly %d tokens from the corpus", tokens)
}

// slice returns length corpus ids from start, wrapping around a short corpus.
func (s *Synthesizer) slice(start, length int) []int {
	if start+length <= len(s.corpus) {
		return s.corpus[start : start+length]
	}
	out := make([]int, 0, length)
	for len(out) < length {
		k := min(len(s.corpus)-start, length-len(out))
		out = append(out, s.corpus[start:start+k]...)
		start = 0
	}
	return out
}

// Random returns the text of random non-special vocabulary ids whose token count (special
// tokens included) is exactly tokens.
func (s *Synthesizer) Random(rng *rand.Rand, tokens int) (string, error) {
	if err := s.checkTarget(tokens); err != nil {
		return "", err
	}
	n := tokens - s.overhead
	for attempt := 0; attempt < 8; attempt++ {
		ids := make([]int, 0, n+16)
		for range n {
			ids = append(ids, s.randomID(rng))
		}
		for pass := 0; pass < s.maxPasses; pass++ {
			text, err := s.tok.Decode(ids, true)
			if err != nil {
				return "", err
			}
			c, err := s.tok.Count(text, true)
			if err != nil {
				return "", err
			}
			if c == tokens {
				return text, nil
			}
			if c < tokens {
				for range tokens - c {
					ids = append(ids, s.randomID(rng))
				}
			} else {
				ids = ids[:max(len(ids)-(c-tokens), 0)]
			}
		}
		for len(ids) < n+8 {
			ids = append(ids, s.randomID(rng))
		}
		text, err := s.tok.Decode(ids, true)
		if err != nil {
			return "", err
		}
		if out, ok, err := s.cutToCount(text, tokens); err != nil || ok {
			return out, err
		}
	}
	return "", fmt.Errorf("tokenizer: could not synthesize a random prompt of exactly %d tokens", tokens)
}

func (s *Synthesizer) randomID(rng *rand.Rand) int {
	for {
		id := rng.IntN(s.vocab)
		if !s.special[id] {
			return id
		}
	}
}

// cutToCount finds a prefix of text, cut at a character boundary, whose count is target.
func (s *Synthesizer) cutToCount(text string, target int) (string, bool, error) {
	bounds := make([]int, 0, len(text)/2+1)
	for i := range text {
		bounds = append(bounds, i)
	}
	bounds = append(bounds, len(text))
	var ferr error
	count := func(k int) int {
		c, err := s.tok.Count(text[:bounds[k]], true)
		if err != nil && ferr == nil {
			ferr = err
		}
		return c
	}
	// The count grows almost monotonically with the prefix: find the first prefix that
	// reaches target, then look around it.
	k := sort.Search(len(bounds), func(k int) bool { return count(k) >= target })
	if ferr != nil {
		return "", false, ferr
	}
	for d := 0; d <= 8; d++ {
		for _, j := range []int{k - d, k + d} {
			if j >= 0 && j < len(bounds) && count(j) == target {
				return text[:bounds[j]], true, ferr
			}
		}
	}
	return "", false, ferr
}

// GenerateCorpus returns deterministic pseudo-English text of about words words: generated
// word-like strings with a Zipf-like frequency, sentences and paragraphs. It stands in for a
// real corpus without copying anyone's text.
func GenerateCorpus(seed uint64, words int) string {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	onsets := []string{"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y", "z",
		"br", "cl", "dr", "st", "th", "sh", "ch", "pl", "gr", "tr", "qu", "sp", "fl", ""}
	vowels := []string{"a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "ee", "y"}
	codas := []string{"", "", "", "n", "r", "s", "t", "l", "nd", "st", "ng", "m", "ck", "th", "rd"}
	lexicon := make([]string, 4000)
	for i := range lexicon {
		var b strings.Builder
		syl := 1 + rng.IntN(3)
		if i < 120 {
			syl = 1 // the frequent words are short, as in real text
		}
		for range syl {
			b.WriteString(onsets[rng.IntN(len(onsets))])
			b.WriteString(vowels[rng.IntN(len(vowels))])
			b.WriteString(codas[rng.IntN(len(codas))])
		}
		lexicon[i] = b.String()
	}
	// Zipf-like choice: index = floor(N^u) - 1 for uniform u.
	pick := func() string {
		k := int(math.Pow(float64(len(lexicon)), rng.Float64())) - 1
		return lexicon[min(max(k, 0), len(lexicon)-1)]
	}
	var b strings.Builder
	b.Grow(words * 7)
	written := 0
	for written < words {
		sentences := 3 + rng.IntN(5)
		for si := 0; si < sentences && written < words; si++ {
			n := 5 + rng.IntN(16)
			for wi := 0; wi < n; wi++ {
				w := pick()
				if wi == 0 {
					r, size := utf8.DecodeRuneInString(w)
					w = strings.ToUpper(string(r)) + w[size:]
				} else {
					b.WriteByte(' ')
				}
				if rng.IntN(40) == 0 {
					w = fmt.Sprint(rng.IntN(2000))
				}
				b.WriteString(w)
				if wi < n-1 && rng.IntN(9) == 0 {
					b.WriteByte(',')
				}
				written++
			}
			switch rng.IntN(10) {
			case 0:
				b.WriteString("?")
			case 1:
				b.WriteString("!")
			default:
				b.WriteString(".")
			}
			if si < sentences-1 {
				b.WriteByte(' ')
			}
		}
		b.WriteString("\n\n")
	}
	return b.String()
}
