package loadgen

import (
	"errors"
	"fmt"
)

// A tiny allocation-free JSON scanner for the few fields the engine reads
// from each streamed chunk. It validates what it walks and skips the rest.

var errJSON = errors.New("malformed JSON")

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString expects a string at b[i] and returns the raw bytes between the
// quotes (escapes left as they are) and the index after the closing quote.
func scanString(b []byte, i int) (raw []byte, next int, err error) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, errJSON
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return b[i+1 : j], j + 1, nil
		}
	}
	return nil, len(b), errJSON
}

// skipValue skips any JSON value at b[i] and returns the index after it.
func skipValue(b []byte, i int) (int, error) {
	i = skipWS(b, i)
	if i >= len(b) {
		return i, errJSON
	}
	switch c := b[i]; {
	case c == '"':
		_, n, err := scanString(b, i)
		return n, err
	case c == '{' || c == '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				_, n, err := scanString(b, j)
				if err != nil {
					return n, err
				}
				j = n - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return len(b), errJSON
	case c == 't' || c == 'f' || c == 'n' || c == '-' || (c >= '0' && c <= '9'):
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return j, nil
			}
			j++
		}
		return j, nil
	}
	return i, errJSON
}

// scanInt reads an integer at b[i]; null reads as ok=false.
func scanInt(b []byte, i int) (v int64, ok bool, next int, err error) {
	i = skipWS(b, i)
	if i+4 <= len(b) && string(b[i:i+4]) == "null" {
		return 0, false, i + 4, nil
	}
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		v = v*10 + int64(b[i]-'0')
		i++
	}
	if i == start {
		return 0, false, i, errJSON
	}
	// Tolerate a fractional or exponent part (e.g. 12.0) by skipping it.
	for i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E' || b[i] == '+' || b[i] == '-' || (b[i] >= '0' && b[i] <= '9')) {
		i++
	}
	if neg {
		v = -v
	}
	return v, true, i, nil
}

// eachField walks the object at b[i], calling fn with each key and the index
// of its value; fn returns the index after the value (or -1 to have it skipped).
func eachField(b []byte, i int, fn func(key []byte, v int) (int, error)) (int, error) {
	i = skipWS(b, i)
	if i >= len(b) || b[i] != '{' {
		return i, errJSON
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		key, n, err := scanString(b, skipWS(b, i))
		if err != nil {
			return n, err
		}
		i = skipWS(b, n)
		if i >= len(b) || b[i] != ':' {
			return i, errJSON
		}
		v := skipWS(b, i+1)
		end, err := fn(key, v)
		if err != nil {
			return end, err
		}
		if end < 0 {
			if end, err = skipValue(b, v); err != nil {
				return end, err
			}
		}
		i = skipWS(b, end)
		if i >= len(b) {
			return i, errJSON
		}
		if b[i] == '}' {
			return i + 1, nil
		}
		if b[i] != ',' {
			return i, errJSON
		}
		i++
	}
}

// chunk is what the engine needs from one response object (a streamed
// chunk or a whole non-streamed body).
type chunk struct {
	content    bool  // choices[0] carries non-empty text or content
	usage      bool  // a usage object with counts was present
	prompt     int64 // usage.prompt_tokens
	completion int64 // usage.completion_tokens
	errMsg     []byte
	errCode    int64
	isError    bool
}

// contentKeys selects where the text of choices[0] lives.
type contentKeys struct {
	field string // "text" for completions; "delta" or "message" for chat
	chat  bool
}

// parseChunk reads b (one JSON object) into c, which it resets first.
func parseChunk(b []byte, keys contentKeys, c *chunk) error {
	*c = chunk{}
	objectIsError := false
	end, err := eachField(b, 0, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "choices":
			return scanChoices(b, v, keys, c)
		case "usage":
			return scanUsage(b, v, c)
		case "error":
			c.isError = true
			return scanError(b, v, c)
		case "object":
			raw, n, err := scanString(b, v)
			if err == nil && string(raw) == "error" {
				objectIsError = true
			}
			return n, err
		}
		return scanErrorField(b, key, v, c)
	})
	if err != nil {
		return err
	}
	if objectIsError {
		c.isError = true
	}
	if !c.isError {
		c.errMsg, c.errCode = nil, 0
	}
	if skipWS(b, end) != len(b) {
		return errJSON
	}
	return nil
}

func scanChoices(b []byte, i int, keys contentKeys, c *chunk) (int, error) {
	i = skipWS(b, i)
	if i < len(b) && b[i] == 'n' { // null
		return skipValue(b, i)
	}
	if i >= len(b) || b[i] != '[' {
		return i, errJSON
	}
	j := skipWS(b, i+1)
	if j < len(b) && b[j] == ']' {
		return j + 1, nil
	}
	// Only choices[0] matters; the rest is skipped.
	_, err := eachField(b, j, func(key []byte, v int) (int, error) {
		if string(key) != keys.field {
			return -1, nil
		}
		if !keys.chat {
			if b[v] == '"' {
				raw, n, err := scanString(b, v)
				c.content = len(raw) > 0
				return n, err
			}
			return -1, nil
		}
		if b[v] != '{' {
			return -1, nil
		}
		// Reasoning models stream their thinking in reasoning_content (vLLM's
		// reasoning parsers) before any content; those tokens reach the user
		// too, so they count as output here (inference-perf ignores them and
		// would report such a stream as having no first token).
		return eachField(b, v, func(key []byte, v int) (int, error) {
			switch string(key) {
			case "content", "reasoning_content", "reasoning":
				if b[v] == '"' {
					raw, n, err := scanString(b, v)
					c.content = c.content || len(raw) > 0
					return n, err
				}
			}
			return -1, nil
		})
	})
	if err != nil {
		return 0, err
	}
	return skipValue(b, i)
}

func scanUsage(b []byte, i int, c *chunk) (int, error) {
	if b[i] != '{' {
		return -1, nil
	}
	return eachField(b, i, func(key []byte, v int) (int, error) {
		switch string(key) {
		case "prompt_tokens":
			n, ok, next, err := scanInt(b, v)
			if ok {
				c.prompt, c.usage = n, true
			}
			return next, err
		case "completion_tokens":
			n, ok, next, err := scanInt(b, v)
			if ok {
				c.completion, c.usage = n, true
			}
			return next, err
		}
		return -1, nil
	})
}

// scanErrorField reads an error body's "message" (a string) or "code" (an
// integer) at v into c; it returns -1 for any other key so the caller skips it.
func scanErrorField(b []byte, key []byte, v int, c *chunk) (int, error) {
	switch string(key) {
	case "message":
		if b[v] == '"' {
			raw, n, err := scanString(b, v)
			c.errMsg = raw
			return n, err
		}
	case "code":
		n, ok, next, err := scanInt(b, v)
		if err == nil && ok {
			c.errCode = n
			return next, nil
		}
	}
	return -1, nil
}

func scanError(b []byte, i int, c *chunk) (int, error) {
	if b[i] == '"' {
		raw, n, err := scanString(b, i)
		c.errMsg = raw
		return n, err
	}
	if b[i] != '{' {
		return -1, nil
	}
	return eachField(b, i, func(key []byte, v int) (int, error) {
		return scanErrorField(b, key, v, c)
	})
}

// describeJSON shortens a payload for an error message.
func describeJSON(b []byte) string {
	const max = 120
	if len(b) > max {
		return fmt.Sprintf("%q…", b[:max])
	}
	return fmt.Sprintf("%q", b)
}
