package tokenizer

import (
	"fmt"
	"strings"
	"sync"
)

// hfTokenizer is the pure-Go implementation of a tokenizer.json pipeline:
// added tokens -> normalizer -> pre-tokenizer -> BPE model -> post-processor.
type hfTokenizer struct {
	norm  normalizer
	pre   preTokenizer
	model *bpeModel
	post  postProcessor
	dec   decoder

	rawAdded, normAdded *tokenMatcher
	addedIDs            map[int]bool

	idToToken  []string
	hasToken   []bool
	special    []bool
	specialIDs []int
	modelVocab int

	// tokenBytes holds each token's bytes when the decoder is exactly ByteLevel, so Decode
	// needs no string pipeline.
	tokenBytes [][]byte

	bufPool sync.Pool
}

func (t *hfTokenizer) finish() {
	if d, ok := t.dec.(byteLevelDec); ok {
		t.tokenBytes = make([][]byte, len(t.idToToken))
		for id, tok := range t.idToToken {
			if t.hasToken[id] {
				t.tokenBytes[id] = d.bytesOf(tok, nil)
			}
		}
	}
}

// Encode implements Tokenizer. Invalid UTF-8 bytes are read as U+FFFD, as encoding/json
// would send them.
func (t *hfTokenizer) Encode(text string, addSpecialTokens bool) ([]int, error) {
	return t.encode(text, addSpecialTokens, make([]int, 0, len(text)/3+4)), nil
}

// Count implements Tokenizer.
func (t *hfTokenizer) Count(text string, addSpecialTokens bool) (int, error) {
	bp, _ := t.bufPool.Get().(*[]int)
	if bp == nil {
		bp = new([]int)
	}
	ids := t.encode(text, addSpecialTokens, (*bp)[:0])
	n := len(ids)
	*bp = ids
	t.bufPool.Put(bp)
	return n, nil
}

func (t *hfTokenizer) encode(text string, add bool, dst []int) []int {
	text = sanitizeUTF8(text)
	if add {
		dst = append(dst, t.post.prefix...)
	}
	for pos := 0; pos < len(text); {
		a, b, tok := t.rawAdded.find(text, pos)
		if tok == nil {
			dst = t.encodeSegment(text[pos:], pos == 0, dst)
			break
		}
		if a > pos {
			dst = t.encodeSegment(text[pos:a], pos == 0, dst)
		}
		dst = append(dst, tok.ID)
		pos = b
	}
	if add {
		dst = append(dst, t.post.suffix...)
	}
	return dst
}

// encodeSegment encodes text that holds no raw-matched added token.
func (t *hfTokenizer) encodeSegment(seg string, atStart bool, dst []int) []int {
	if t.norm != nil {
		seg = t.norm.normalize(seg)
	}
	if !t.normAdded.any {
		return t.encodeWords(seg, atStart, dst)
	}
	for pos := 0; pos < len(seg); {
		a, b, tok := t.normAdded.find(seg, pos)
		if tok == nil {
			return t.encodeWords(seg[pos:], atStart && pos == 0, dst)
		}
		if a > pos {
			dst = t.encodeWords(seg[pos:a], atStart && pos == 0, dst)
		}
		dst = append(dst, tok.ID)
		pos = b
	}
	return dst
}

func (t *hfTokenizer) encodeWords(seg string, atStart bool, dst []int) []int {
	if seg == "" {
		return dst
	}
	if t.pre == nil {
		return t.model.encodeWord(seg, dst)
	}
	if sp, ok := t.pre.(*splitPre); ok && sp.full != nil && sp.behavior == behaviorIsolated && !sp.invert {
		// The common byte-level case, without a closure per segment.
		for i := 0; i < len(seg); {
			end := sp.full(seg, i)
			dst = t.model.encodeWord(seg[i:end], dst)
			i = end
		}
		return dst
	}
	t.pre.preTokenize(seg, atStart, func(w string) {
		dst = t.model.encodeWord(w, dst)
	})
	return dst
}

// Decode implements Tokenizer. Ids that name no token are skipped, as in the Rust library;
// ids outside [0, VocabSize()) are an error.
func (t *hfTokenizer) Decode(ids []int, skipSpecialTokens bool) (string, error) {
	for _, id := range ids {
		if id < 0 || id >= len(t.idToToken) {
			return "", fmt.Errorf("tokenizer: decode: id %d out of range [0, %d)", id, len(t.idToToken))
		}
	}
	if t.tokenBytes != nil {
		buf := make([]byte, 0, len(ids)*4)
		for _, id := range ids {
			if skipSpecialTokens && t.special[id] {
				continue
			}
			buf = append(buf, t.tokenBytes[id]...)
		}
		return lossyUTF8(buf), nil
	}
	toks := make([]string, 0, len(ids))
	for _, id := range ids {
		if !t.hasToken[id] || (skipSpecialTokens && t.special[id]) {
			continue
		}
		toks = append(toks, t.idToToken[id])
	}
	if t.dec == nil {
		return strings.Join(toks, " "), nil
	}
	return strings.Join(t.dec.decodeChain(toks), ""), nil
}

// SpecialTokenIDs implements Tokenizer.
func (t *hfTokenizer) SpecialTokenIDs() []int { return append([]int(nil), t.specialIDs...) }

// VocabSize implements Tokenizer.
func (t *hfTokenizer) VocabSize() int { return len(t.idToToken) }

// ModelVocabSize implements ModelVocabSizer.
func (t *hfTokenizer) ModelVocabSize() int { return t.modelVocab }
