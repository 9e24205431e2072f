package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// The Split regexes used by the common byte-level BPE tokenizers. Go's regexp package has no
// lookahead, so each is implemented by a hand-written matcher that follows the regex's
// leftmost-first alternation and greedy backtracking exactly.
const (
	// patternQwen2 is the Split regex of Qwen2, Qwen2.5 and Qwen3.
	patternQwen2 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// patternLlama3 is the Split regex of Llama 3 (the tiktoken cl100k pattern).
	patternLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// patternGPT2 is the regex of the ByteLevel pre-tokenizer (use_regex: true).
	patternGPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
)

// matcher returns the end of the match starting at byte offset i of s (i < len(s)); every
// position of s starts a non-empty match for the patterns implemented here.
type matcher func(s string, i int) int

// knownMatcher returns the hand-written matcher for a known pattern.
func knownMatcher(pattern string) (matcher, bool) {
	switch pattern {
	case patternQwen2:
		return func(s string, i int) int { return matchCL100K(s, i, 1) }, true
	case patternLlama3:
		return func(s string, i int) int { return matchCL100K(s, i, 3) }, true
	case patternGPT2:
		return matchGPT2, true
	}
	return nil, false
}

func isL(r rune) bool {
	return r < utf8.RuneSelf && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') || r >= utf8.RuneSelf && unicode.IsLetter(r)
}

func isN(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return unicode.IsNumber(r)
}

// isS reports Unicode White_Space, what \s means in the Oniguruma and fancy-regex engines
// the Rust library uses.
func isS(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || ('\t' <= r && r <= '\r')
	}
	return unicode.IsSpace(r)
}

func isOther(r rune) bool { return !isS(r) && !isL(r) && !isN(r) }

func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return -1, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// runWhile returns the end of the run of runes satisfying f starting at i.
func runWhile(s string, i int, f func(rune) bool) int {
	for i < len(s) {
		r, w := runeAt(s, i)
		if !f(r) {
			break
		}
		i += w
	}
	return i
}

// contraction matches 's 't 're 've 'm 'll 'd after the apostrophe at i-1 and returns the
// end, or -1.
func contraction(s string, i int, fold bool) int {
	eq := func(j int, want byte) (int, bool) {
		r, w := runeAt(s, j)
		if r == rune(want) {
			return w, true
		}
		if !fold {
			return 0, false
		}
		if r == rune(want-'a'+'A') {
			return w, true
		}
		if want == 's' && r == 0x17F { // LATIN SMALL LETTER LONG S folds to s
			return w, true
		}
		return 0, false
	}
	for _, alt := range [...]string{"s", "t", "re", "ve", "m", "ll", "d"} {
		j := i
		ok := true
		for k := 0; k < len(alt); k++ {
			w, m := eq(j, alt[k])
			if !m {
				ok = false
				break
			}
			j += w
		}
		if ok {
			return j
		}
	}
	return -1
}

// whitespaceTail handles the last alternatives shared by the patterns: \s+(?!\S)|\s+ .
// The run of whitespace starts at i.
func whitespaceTail(s string, i int) int {
	end, lastStart := i, i
	for end < len(s) {
		r, w := runeAt(s, end)
		if !isS(r) {
			break
		}
		lastStart = end
		end += w
	}
	if end == len(s) || lastStart == i {
		return end
	}
	return lastStart
}

// matchCL100K implements patternQwen2 (maxDigits 1) and patternLlama3 (maxDigits 3).
func matchCL100K(s string, i int, maxDigits int) int {
	r, w := runeAt(s, i)
	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if r == '\'' {
		if end := contraction(s, i+w, true); end > 0 {
			return end
		}
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if isL(r) {
		return runWhile(s, i+w, isL)
	}
	if r != '\r' && r != '\n' && !isN(r) {
		if r2, w2 := runeAt(s, i+w); w2 > 0 && isL(r2) {
			return runWhile(s, i+w+w2, isL)
		}
	}
	// \p{N} or \p{N}{1,3}
	if isN(r) {
		j, n := i+w, 1
		for n < maxDigits {
			r2, w2 := runeAt(s, j)
			if w2 == 0 || !isN(r2) {
				break
			}
			j += w2
			n++
		}
		return j
	}
	// ` ?[^\s\p{L}\p{N}]+[\r\n]*`
	start := -1
	if r == ' ' {
		if r2, w2 := runeAt(s, i+w); w2 > 0 && isOther(r2) {
			start = i + w
		}
	} else if isOther(r) {
		start = i
	}
	if start >= 0 {
		j := runWhile(s, start, isOther)
		return runWhile(s, j, func(r rune) bool { return r == '\r' || r == '\n' })
	}
	// \s*[\r\n]+ : the whitespace run up to and including its last CR or LF.
	end, afterNL := i, -1
	for end < len(s) {
		r2, w2 := runeAt(s, end)
		if !isS(r2) {
			break
		}
		end += w2
		if r2 == '\r' || r2 == '\n' {
			afterNL = end
		}
	}
	if afterNL > 0 {
		return afterNL
	}
	return whitespaceTail(s, i)
}

// matchGPT2 implements patternGPT2.
func matchGPT2(s string, i int) int {
	r, w := runeAt(s, i)
	if r == '\'' {
		if end := contraction(s, i+w, false); end > 0 {
			return end
		}
	}
	j := i
	if r == ' ' {
		if r2, w2 := runeAt(s, i+w); w2 > 0 && !isS(r2) {
			j, r, w = i+w, r2, w2
		}
	}
	switch {
	case isL(r):
		return runWhile(s, j+w, isL)
	case isN(r):
		return runWhile(s, j+w, isN)
	case isOther(r):
		return runWhile(s, j+w, isOther)
	}
	return whitespaceTail(s, i)
}
