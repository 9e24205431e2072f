//go:build hftokenizers

package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/daulet/tokenizers"
)

// RustAvailable reports whether this binary includes the Rust backend.
const RustAvailable = true

// rustTokenizer is the Tokenizer of the Rust library through github.com/daulet/tokenizers.
type rustTokenizer struct {
	mu      sync.Mutex // the handle is released by a finalizer; calls hold it alive
	tk      *tokenizers.Tokenizer
	special []int
	isSpec  map[int]bool
}

func rustFromFile(path string) (Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	// The bindings do not expose the special tokens; read them from added_tokens.
	var f struct {
		AddedTokens []addedToken `json:"added_tokens"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: tokenizer.json: malformed JSON (truncated or not a tokenizer.json file): %w", path, err)
	}
	tk, err := tokenizers.FromBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: rust tokenizers: %w", path, err)
	}
	t := &rustTokenizer{tk: tk, isSpec: map[int]bool{}}
	for _, a := range f.AddedTokens {
		if a.Special {
			t.special = append(t.special, a.ID)
			t.isSpec[a.ID] = true
		}
	}
	sort.Ints(t.special)
	runtime.AddCleanup(t, func(tk *tokenizers.Tokenizer) { _ = tk.Close() }, tk)
	return t, nil
}

// Encode implements Tokenizer. Text is passed as a C string, so a NUL byte is an error.
func (t *rustTokenizer) Encode(text string, addSpecialTokens bool) ([]int, error) {
	text = sanitizeUTF8(text)
	if strings.IndexByte(text, 0) >= 0 {
		return nil, errors.New("tokenizer: the rust backend cannot encode text containing a NUL byte")
	}
	t.mu.Lock()
	ids, _ := t.tk.Encode(text, addSpecialTokens)
	t.mu.Unlock()
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out, nil
}

// Decode implements Tokenizer.
func (t *rustTokenizer) Decode(ids []int, skipSpecialTokens bool) (string, error) {
	n := t.VocabSize()
	u := make([]uint32, len(ids))
	for i, id := range ids {
		if id < 0 || id >= n {
			return "", fmt.Errorf("tokenizer: decode: id %d out of range [0, %d)", id, n)
		}
		u[i] = uint32(id)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tk.Decode(u, skipSpecialTokens), nil
}

// Count implements Tokenizer.
func (t *rustTokenizer) Count(text string, addSpecialTokens bool) (int, error) {
	ids, err := t.Encode(text, addSpecialTokens)
	return len(ids), err
}

// SpecialTokenIDs implements Tokenizer.
func (t *rustTokenizer) SpecialTokenIDs() []int { return append([]int(nil), t.special...) }

// VocabSize implements Tokenizer.
func (t *rustTokenizer) VocabSize() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int(t.tk.VocabSize())
}
