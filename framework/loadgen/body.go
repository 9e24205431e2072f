package loadgen

import (
	"strconv"
	"unicode/utf8"
)

// bodyTemplate builds OpenAI request bodies by appending into a reused
// buffer: the constant parts are rendered once per run.
type bodyTemplate struct {
	head []byte // {"model":"…","prompt": or …"messages":[{"role":"user","content":
	mid  []byte // closing of the prompt/messages, then ,"max_tokens":
	tail []byte // ,"ignore_eos":…,"stream":…}
	chat bool
}

func newBodyTemplate(model string, chat, stream, ignoreEOS bool) bodyTemplate {
	var t bodyTemplate
	t.chat = chat
	t.head = append(t.head, `{"model":`...)
	t.head = appendJSONString(t.head, model)
	if chat {
		t.head = append(t.head, `,"messages":[{"role":"user","content":`...)
		t.mid = append(t.mid, `}],"max_tokens":`...)
	} else {
		t.head = append(t.head, `,"prompt":`...)
		t.mid = append(t.mid, `,"max_tokens":`...)
	}
	if ignoreEOS {
		t.tail = append(t.tail, `,"ignore_eos":true`...)
	} else {
		t.tail = append(t.tail, `,"ignore_eos":false`...)
	}
	if stream {
		t.tail = append(t.tail, `,"stream":true,"stream_options":{"include_usage":true}}`...)
	} else {
		t.tail = append(t.tail, `,"stream":false}`...)
	}
	return t
}

// render appends the body for one request to dst.
func (t *bodyTemplate) render(dst []byte, prompt string, maxTokens int) []byte {
	dst = append(dst, t.head...)
	dst = appendJSONString(dst, prompt)
	dst = append(dst, t.mid...)
	dst = strconv.AppendInt(dst, int64(maxTokens), 10)
	return append(dst, t.tail...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal; invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
