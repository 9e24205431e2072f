package tokenizer

import (
	"sort"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's added_tokens.
type addedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// tokenMatcher finds added tokens in text, leftmost first and longest among those starting at
// the same place, as the Rust library's Aho-Corasick matcher does.
type tokenMatcher struct {
	byFirst [256][]*addedToken // longest first
	any     bool
}

func newTokenMatcher(tokens []*addedToken) *tokenMatcher {
	m := &tokenMatcher{}
	for _, t := range tokens {
		if t.Content == "" {
			continue
		}
		m.byFirst[t.Content[0]] = append(m.byFirst[t.Content[0]], t)
		m.any = true
	}
	for i := range m.byFirst {
		l := m.byFirst[i]
		sort.SliceStable(l, func(a, b int) bool { return len(l[a].Content) > len(l[b].Content) })
	}
	return m
}

// find returns the span of the next added token at or after from (lstrip/rstrip whitespace
// included), or tok == nil.
func (m *tokenMatcher) find(s string, from int) (start, end int, tok *addedToken) {
	if m == nil || !m.any {
		return 0, 0, nil
	}
	for i := from; i < len(s); i++ {
		cands := m.byFirst[s[i]]
		if len(cands) == 0 {
			continue
		}
		for _, t := range cands {
			n := len(t.Content)
			if i+n > len(s) || s[i:i+n] != t.Content {
				continue
			}
			if t.SingleWord && !singleWordOK(s, i, i+n) {
				continue
			}
			start, end = i, i+n
			if t.LStrip {
				for start > from {
					r, w := utf8.DecodeLastRuneInString(s[from:start])
					if !isS(r) {
						break
					}
					start -= w
				}
			}
			if t.RStrip {
				end = runWhile(s, end, isS)
			}
			return start, end, t
		}
	}
	return 0, 0, nil
}

func isWordRune(r rune) bool { return isL(r) || isN(r) || r == '_' }

func singleWordOK(s string, a, b int) bool {
	if a > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:a])
		if isWordRune(r) {
			return false
		}
	}
	if b < len(s) {
		r, _ := utf8.DecodeRuneInString(s[b:])
		if isWordRune(r) {
			return false
		}
	}
	return true
}
