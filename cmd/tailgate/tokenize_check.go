package main

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// defaultMaxWordBytes bounds the longest run of non-whitespace bytes tokenize
// accepts in a line. BPE works on one pre-tokenized word at a time and needs
// about 140 bytes of memory per byte of a word (a 10 MB word took 1.4 GB), so
// the bound keeps a line's memory near 150 MB whatever its length; text with
// spaces splits into short words and is not affected.
const defaultMaxWordBytes = 1 << 20

// checkLine refuses a JSON string line that holds invalid UTF-8 (raw bytes or
// an unpaired \u surrogate escape, both of which decoding would replace with
// U+FFFD) unless allowInvalid, and a word longer than maxWord bytes (0: no bound).
func checkLine(raw []byte, allowInvalid bool, maxWord int) error {
	if !allowInvalid {
		if i := invalidUTF8(raw); i >= 0 {
			return fmt.Errorf("invalid UTF-8 at byte %d (decoding would replace it with U+FFFD and count a different text); fix the input, or pass --allow-invalid-utf8 to tokenize the replaced text", i+1)
		}
	}
	if maxWord > 0 {
		if n := longestWord(bytes.Trim(bytes.TrimSpace(raw), `"`)); n > maxWord {
			return fmt.Errorf("a run of %d bytes without whitespace, over --max-word-bytes %d: BPE needs about 140 bytes of memory per byte of one word (%d MB here); split the text, or raise --max-word-bytes (0 for no bound)",
				n, maxWord, 140*n>>20)
		}
	}
	return nil
}

// invalidUTF8 returns the offset of the first invalid UTF-8 sequence or
// unpaired surrogate escape in a JSON string, or -1.
func invalidUTF8(raw []byte) int {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw) && raw[i+1] == 'u':
			hi, ok := hex4(raw, i+2)
			if ok && hi >= 0xD800 && hi <= 0xDBFF {
				if lo, ok := hex4(raw, i+8); ok && i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 12
					continue
				}
				return i
			}
			if ok && hi >= 0xDC00 && hi <= 0xDFFF {
				return i
			}
			i += 2
		case c == '\\':
			i += 2 // an escaped character, possibly a backslash
		case c < utf8.RuneSelf:
			i++
		default:
			r, w := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && w <= 1 {
				return i
			}
			i += w
		}
	}
	return -1
}

// hex4 reads four hex digits at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// longestWord returns the longest run of bytes in a JSON string line that
// holds no whitespace (a space, or an escaped \n, \t or \r).
func longestWord(raw []byte) int {
	longest, run := 0, 0
	for i := 0; i < len(raw); i++ {
		space := raw[i] == ' ' || raw[i] == '\t'
		if raw[i] == '\\' && i+1 < len(raw) {
			switch raw[i+1] {
			case 'n', 't', 'r':
				space = true
			}
			if !space {
				run += 2
				i++
				longest = max(longest, run)
				continue
			}
			i++
		}
		if space {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	return longest
}
