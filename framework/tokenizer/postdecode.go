package tokenizer

import (
	"strconv"
	"strings"
)

// postProcessor adds special tokens around one encoded sequence; prefix and suffix are the ids
// placed before and after it.
type postProcessor struct {
	prefix, suffix []int
}

// decoder turns token strings back into text pieces, like the Rust library's decode_chain.
type decoder interface {
	decodeChain(tokens []string) []string
}

type decSequence []decoder

func (d decSequence) decodeChain(tokens []string) []string {
	for _, x := range d {
		tokens = x.decodeChain(tokens)
	}
	return tokens
}

// byteLevelDec maps byte-alphabet characters back to bytes; a token with a character outside
// the alphabet is kept as its own UTF-8 bytes.
type byteLevelDec struct{ toByte map[rune]byte }

func (d byteLevelDec) bytesOf(tok string, buf []byte) []byte {
	mark := len(buf)
	for _, r := range tok {
		b, ok := d.toByte[r]
		if !ok {
			return append(buf[:mark], tok...)
		}
		buf = append(buf, b)
	}
	return buf
}

func (d byteLevelDec) decodeChain(tokens []string) []string {
	var buf []byte
	for _, t := range tokens {
		buf = d.bytesOf(t, buf)
	}
	return []string{lossyUTF8(buf)}
}

// metaspaceDec turns the replacement character back into spaces and drops the space the
// pre-tokenizer prepended.
type metaspaceDec struct {
	replacement string
	prepend     string
}

func (d metaspaceDec) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		t = strings.ReplaceAll(t, d.replacement, " ")
		if i == 0 && d.prepend != "never" {
			t = strings.TrimPrefix(t, " ")
		}
		out[i] = t
	}
	return out
}

// byteFallbackDec turns runs of <0xNN> tokens into the text their bytes spell.
type byteFallbackDec struct{}

func (byteFallbackDec) decodeChain(tokens []string) []string {
	var out []string
	var pending []byte
	flush := func() {
		if pending != nil {
			out = append(out, lossyUTF8(pending))
			pending = nil
		}
	}
	for _, t := range tokens {
		if len(t) == 6 && strings.HasPrefix(t, "<0x") && t[5] == '>' {
			if b, err := strconv.ParseUint(t[3:5], 16, 8); err == nil {
				pending = append(pending, byte(b))
				continue
			}
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

type fuseDec struct{}

func (fuseDec) decodeChain(tokens []string) []string { return []string{strings.Join(tokens, "")} }

type stripDec struct {
	content     string
	start, stop int
}

func (d stripDec) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		for k := 0; k < d.start && strings.HasPrefix(t, d.content); k++ {
			t = t[len(d.content):]
		}
		for k := 0; k < d.stop && strings.HasSuffix(t, d.content); k++ {
			t = t[:len(t)-len(d.content)]
		}
		out[i] = t
	}
	return out
}

type replaceDec struct{ from, to string }

func (d replaceDec) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = strings.ReplaceAll(t, d.from, d.to)
	}
	return out
}

// bpeDec is the BPEDecoder: the end-of-word suffix becomes a space.
type bpeDec struct{ suffix string }

func (d bpeDec) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		rep := " "
		if i == len(tokens)-1 {
			rep = ""
		}
		out[i] = strings.ReplaceAll(t, d.suffix, rep)
	}
	return out
}
