package loadgen

import (
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"syscall"
)

// Failure labels, as inference-perf groups failures in failures.by_label.
const (
	LabelConnection      = "Connection Error"
	LabelTimeout         = "Timeout"
	LabelInvalidResponse = "Invalid Response"
	// LabelErrorObject marks a 200 answer whose body is the server's error
	// object ({"error": …} or {"object": "error", …}); the message is the server's.
	LabelErrorObject = "Error Object In 200 Response"
)

var httpCodeLabels = map[int]string{
	429: "Rate Limit",
	500: "Internal Server Error",
	502: "Bad Gateway",
	503: "Service Unavailable",
	504: "Gateway Timeout",
}

// Message patterns for HTTP errors whose code alone says little, in
// inference-perf's order.
var httpMessageLabels = []struct {
	re    *regexp.Regexp
	label string
}{
	{regexp.MustCompile(`(?i)context.window|context length|maximum context|max.?tokens|token.?limit`), "Context Window"},
	{regexp.MustCompile(`(?i)invalid.?json|json.?parse|malformed.?json|unexpected.?token|expecting value|unterminated string|expecting ',' delimiter`), "Invalid JSON"},
	{regexp.MustCompile(`(?i)timeout|timed.?out`), "Timeout"},
	{regexp.MustCompile(`(?i)model.?not.?found|no such model`), "Model Not Found"},
}

// httpLabel labels an HTTP error the way inference-perf does: "<code> - <label>".
func httpLabel(code int, msg string) string {
	c := strconv.Itoa(code)
	if l, ok := httpCodeLabels[code]; ok {
		return c + " - " + l
	}
	for _, p := range httpMessageLabels {
		if p.re.MatchString(msg) {
			return c + " - " + p.label
		}
	}
	return c + " - other"
}

// transportLabel labels an error from the connection rather than from the
// server's answer.
func transportLabel(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return LabelTimeout
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return LabelConnection
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return LabelConnection
	}
	return LabelConnection
}
