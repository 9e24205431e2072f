package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// preTokenizer splits one piece of normalized text into words; atStart says whether the
// piece begins the input (for Metaspace's prepend_scheme "first").
type preTokenizer interface {
	preTokenize(s string, atStart bool, emit func(string))
}

// preSequence applies pre-tokenizers one after the other.
type preSequence []preTokenizer

func (p preSequence) preTokenize(s string, atStart bool, emit func(string)) {
	p.run(0, s, atStart, emit)
}

func (p preSequence) run(k int, s string, atStart bool, emit func(string)) {
	if k == len(p) {
		emit(s)
		return
	}
	first := true
	p[k].preTokenize(s, atStart, func(w string) {
		p.run(k+1, w, atStart && first, emit)
		first = false
	})
}

// splitBehavior is what Split does with the matched pieces.
type splitBehavior int

const (
	behaviorIsolated splitBehavior = iota
	behaviorRemoved
	behaviorMergedWithPrevious
	behaviorMergedWithNext
	behaviorContiguous
)

func parseBehavior(s string) (splitBehavior, error) {
	switch strings.ToLower(s) {
	case "isolated":
		return behaviorIsolated, nil
	case "removed":
		return behaviorRemoved, nil
	case "mergedwithprevious":
		return behaviorMergedWithPrevious, nil
	case "mergedwithnext":
		return behaviorMergedWithNext, nil
	case "contiguous":
		return behaviorContiguous, nil
	}
	return 0, fmt.Errorf("unknown split behavior %q (want Isolated, Removed, MergedWithPrevious, MergedWithNext or Contiguous)", s)
}

// span is a piece of the input and whether it was matched by the split pattern.
type span struct {
	start, end int
	match      bool
}

// finder locates the next match at or after i: it returns its bounds, or -1, -1.
type finder func(s string, i int) (int, int)

// splitPre is the Split pre-tokenizer.
type splitPre struct {
	find     finder
	full     matcher // set for the hand-written patterns: every position starts a match
	behavior splitBehavior
	invert   bool
}

func (p *splitPre) preTokenize(s string, _ bool, emit func(string)) {
	if p.full != nil && p.behavior == behaviorIsolated && !p.invert {
		for i := 0; i < len(s); {
			end := p.full(s, i)
			emit(s[i:end])
			i = end
		}
		return
	}
	var spans []span
	for i := 0; i < len(s); {
		a, b := p.find(s, i)
		if a < 0 {
			break
		}
		if a > i {
			spans = append(spans, span{i, a, false})
		}
		if b == a { // empty match: step over one character
			_, w := utf8.DecodeRuneInString(s[a:])
			if b+w > len(s) {
				break
			}
			spans = append(spans, span{a, a + w, false})
			i = a + w
			continue
		}
		spans = append(spans, span{a, b, true})
		i = b
	}
	if n := len(spans); n == 0 || spans[n-1].end < len(s) {
		start := 0
		if n > 0 {
			start = spans[n-1].end
		}
		if start < len(s) {
			spans = append(spans, span{start, len(s), false})
		}
	}
	if p.invert {
		for k := range spans {
			spans[k].match = !spans[k].match
		}
	}
	applyBehavior(s, spans, p.behavior, emit)
}

func applyBehavior(s string, spans []span, b splitBehavior, emit func(string)) {
	switch b {
	case behaviorIsolated:
		for _, sp := range spans {
			emit(s[sp.start:sp.end])
		}
	case behaviorRemoved:
		for _, sp := range spans {
			if !sp.match {
				emit(s[sp.start:sp.end])
			}
		}
	case behaviorMergedWithPrevious:
		start := -1
		for _, sp := range spans {
			if start < 0 {
				start = sp.start
			}
			if sp.match {
				emit(s[start:sp.end])
				start = -1
			}
		}
		if start >= 0 {
			emit(s[start:])
		}
	case behaviorMergedWithNext:
		start := -1
		for k, sp := range spans {
			if sp.match && start >= 0 && k > 0 {
				emit(s[start:sp.start])
				start = -1
			}
			if start < 0 {
				start = sp.start
			}
		}
		if start >= 0 {
			emit(s[start:])
		}
	case behaviorContiguous:
		start := 0
		for k := 1; k <= len(spans); k++ {
			if k == len(spans) || spans[k].match != spans[k-1].match {
				emit(s[spans[start].start:spans[k-1].end])
				start = k
			}
		}
	}
}

// literalFinder finds a literal string.
func literalFinder(lit string) finder {
	return func(s string, i int) (int, int) {
		if lit == "" {
			return -1, -1
		}
		k := strings.Index(s[i:], lit)
		if k < 0 {
			return -1, -1
		}
		return i + k, i + k + len(lit)
	}
}

// regexFinder finds matches of a Go regexp.
func regexFinder(re *regexp.Regexp) finder {
	return func(s string, i int) (int, int) {
		loc := re.FindStringIndex(s[i:])
		if loc == nil {
			return -1, -1
		}
		return i + loc[0], i + loc[1]
	}
}

// fullFinder adapts a hand-written matcher.
func fullFinder(m matcher) finder {
	return func(s string, i int) (int, int) {
		if i >= len(s) {
			return -1, -1
		}
		return i, m(s, i)
	}
}

// compileSplitRegex compiles a tokenizer.json Split regex. The well-known lookahead patterns get
// their exact hand-written matcher; other patterns are translated to Go's regexp syntax
// when they use no construct Go lacks (lookaround, backreferences, possessive quantifiers),
// except for the common ending "|\s+(?!\S)|\s+", which is emulated exactly.
func compileSplitRegex(pattern string) (finder, matcher, error) {
	if m, ok := knownMatcher(pattern); ok {
		return fullFinder(m), m, nil
	}
	f, err := compileGenericRegex(pattern)
	return f, nil, err
}

// wsLookaheadTail is the ending of most byte-level BPE Split regexes: a whitespace run that
// leaves its last character to the next word when a word follows.
const wsLookaheadTail = `|\s+(?!\S)|\s+`

func compileGenericRegex(pattern string) (finder, error) {
	head, tail := pattern, false
	if h, ok := strings.CutSuffix(pattern, wsLookaheadTail); ok && h != "" {
		head, tail = h, true
	}
	for _, bad := range []string{"(?=", "(?!", "(?<=", "(?<!", "(?>", "++", "*+", "?+", `\1`, `\2`} {
		if strings.Contains(head, bad) {
			return nil, fmt.Errorf("regex %q uses %q, which only the known Qwen2/Llama 3/GPT-2 patterns and a final %q support", pattern, bad, wsLookaheadTail[1:])
		}
	}
	expr := translateRegex(head)
	if tail {
		expr = "(?:" + expr + ")|(" + translateRegex(`\s+`) + ")"
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", pattern, err)
	}
	if !tail {
		return regexFinder(re), nil
	}
	g := 2 * re.NumSubexp() // the whitespace group is the last one
	return func(s string, i int) (int, int) {
		loc := re.FindStringSubmatchIndex(s[i:])
		if loc == nil {
			return -1, -1
		}
		a, b := i+loc[0], i+loc[1]
		if loc[g] >= 0 && b < len(s) {
			// \s+(?!\S): the run is followed by a non-space, so the lookahead version gives
			// back the run's last character when the run has more than one.
			_, w := utf8.DecodeLastRuneInString(s[a:b])
			if b-w > a {
				b -= w
			}
		}
		return a, b
	}, nil
}

// translateRegex rewrites the Unicode-aware classes of Oniguruma/fancy-regex (\s, \d, \w) into
// their Go regexp equivalents; Go's own versions are ASCII-only.
func translateRegex(p string) string {
	const space = `\t\n\v\f\r\x{85}\p{Z}`
	const word = `\p{L}\p{M}\p{N}\p{Pc}`
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '\\' && i+1 < len(p) {
			n := p[i+1]
			i++
			switch {
			case n == 's' && inClass:
				b.WriteString(space)
			case n == 's':
				b.WriteString("[" + space + "]")
			case n == 'S' && !inClass:
				b.WriteString("[^" + space + "]")
			case n == 'd' && inClass:
				b.WriteString(`\p{Nd}`)
			case n == 'd':
				b.WriteString(`\p{Nd}`)
			case n == 'D' && !inClass:
				b.WriteString(`\P{Nd}`)
			case n == 'w' && inClass:
				b.WriteString(word)
			case n == 'w':
				b.WriteString("[" + word + "]")
			case n == 'W' && !inClass:
				b.WriteString("[^" + word + "]")
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			continue
		}
		switch c {
		case '[':
			inClass = true
		case ']':
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// byteLevelPre is the ByteLevel pre-tokenizer. The byte-to-character mapping itself is done by
// the BPE model, which works on raw bytes for byte-level vocabularies.
type byteLevelPre struct {
	addPrefixSpace bool
	useRegex       bool
}

func (p *byteLevelPre) preTokenize(s string, _ bool, emit func(string)) {
	if p.addPrefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	if !p.useRegex {
		emit(s)
		return
	}
	for i := 0; i < len(s); {
		end := matchGPT2(s, i)
		emit(s[i:end])
		i = end
	}
}

// digitsPre is the Digits pre-tokenizer.
type digitsPre struct{ individual bool }

func (p *digitsPre) preTokenize(s string, _ bool, emit func(string)) {
	start := 0
	for i := 0; i < len(s); i++ {
		d := s[i] >= '0' && s[i] <= '9'
		if !d {
			continue
		}
		if i > start {
			emit(s[start:i])
		}
		if p.individual {
			emit(s[i : i+1])
			start = i + 1
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		emit(s[i:j])
		start = j
		i = j - 1
	}
	if start < len(s) {
		emit(s[start:])
	}
}

// metaspacePre is the Metaspace pre-tokenizer (SentencePiece style).
type metaspacePre struct {
	replacement string
	prepend     string // "always", "first" or "never"
	split       bool
}

func (p *metaspacePre) preTokenize(s string, atStart bool, emit func(string)) {
	s = strings.ReplaceAll(s, " ", p.replacement)
	if (p.prepend == "always" || (p.prepend == "first" && atStart)) && !strings.HasPrefix(s, p.replacement) {
		s = p.replacement + s
	}
	if !p.split {
		emit(s)
		return
	}
	rep := p.replacement
	for start := 0; start < len(s); {
		from := start
		if strings.HasPrefix(s[start:], rep) {
			from += len(rep)
		}
		k := strings.Index(s[from:], rep)
		if k < 0 {
			emit(s[start:])
			return
		}
		emit(s[start : from+k])
		start = from + k
	}
}

// whitespaceSplitPre is the WhitespaceSplit pre-tokenizer.
type whitespaceSplitPre struct{}

func (whitespaceSplitPre) preTokenize(s string, _ bool, emit func(string)) {
	for _, f := range strings.FieldsFunc(s, isS) {
		emit(f)
	}
}

// whitespacePre is the Whitespace pre-tokenizer: \w+|[^\w\s]+ .
type whitespacePre struct{ re *regexp.Regexp }

func (p whitespacePre) preTokenize(s string, _ bool, emit func(string)) {
	for _, loc := range p.re.FindAllStringIndex(s, -1) {
		emit(s[loc[0]:loc[1]])
	}
}
