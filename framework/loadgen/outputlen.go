package loadgen

import (
	"fmt"
	"sync/atomic"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// Failure labels of answers read to their end whose output length breaks
// the request's terms.
const (
	// LabelOutputLength marks an answer with more output tokens than
	// max_tokens, or, with ignore_eos, fewer.
	LabelOutputLength = "Output Length Mismatch"
	// LabelEmptyOutput marks a 200 answer without a single output token
	// although max_tokens > 0.
	LabelEmptyOutput = "Empty Output"
)

// lengthError is an answer whose output length breaks the request's terms.
type lengthError struct{ label, msg string }

func (e *lengthError) Error() string { return e.msg }

// lengthVerdict is the output-length check's finding for one answer.
type lengthVerdict uint8

const (
	lengthOK lengthVerdict = iota
	lengthShort
	lengthLong
	lengthEmpty
	lengthUnverified
)

// received returns the output tokens an answer carried, and false when it
// gave no count: the server's usage.completion_tokens when sent, else the
// content chunks of a stream (one token each, as vLLM streams by default).
func (o *outcome) received() (int64, bool) {
	switch {
	case o.usage:
		return o.completion, true
	case o.streamed:
		return int64(o.chunks), true
	}
	return 0, false
}

// checkLength marks o as answered, judges its output length against
// max_tokens (exactly, when exact is set: ignore_eos), and returns the
// failure for a wrong one.
func checkLength(o *outcome, exact bool) error {
	o.answered = true
	if o.maxTokens <= 0 {
		return nil
	}
	got, counted := o.received()
	want := int64(o.maxTokens)
	switch {
	case o.chunks == 0 || (counted && got == 0):
		o.length = lengthEmpty
		return &lengthError{LabelEmptyOutput, fmt.Sprintf("200 answer without output tokens for max_tokens %d (%s)", want, o.countSource())}
	case !counted:
		o.length = lengthUnverified
	case got > want:
		o.length = lengthLong
		return &lengthError{LabelOutputLength, fmt.Sprintf("%d output tokens for max_tokens %d (%s)", got, want, o.countSource())}
	case exact && got < want:
		o.length = lengthShort
		return &lengthError{LabelOutputLength, fmt.Sprintf("ignore_eos asked for exactly %d output tokens, received %d (%s)", want, got, o.countSource())}
	}
	return nil
}

func (o *outcome) countSource() string {
	switch {
	case o.usage:
		return fmt.Sprintf("usage.completion_tokens %d, %d content chunks", o.completion, o.chunks)
	case o.streamed:
		return fmt.Sprintf("%d content chunks, no usage", o.chunks)
	}
	return "no usage"
}

// lengthTally sums the output-length check over a stage's answered requests.
type lengthTally struct {
	answered, requested, received  atomic.Int64
	short, long, empty, unverified atomic.Int64
}

func (t *lengthTally) add(o *outcome) {
	if !o.answered {
		return
	}
	t.answered.Add(1)
	t.requested.Add(int64(max(o.maxTokens, 0)))
	if got, ok := o.received(); ok {
		t.received.Add(got)
	}
	switch o.length {
	case lengthShort:
		t.short.Add(1)
	case lengthLong:
		t.long.Add(1)
	case lengthEmpty:
		t.empty.Add(1)
	case lengthUnverified:
		t.unverified.Add(1)
	}
}

func (t *lengthTally) merge(o *lengthTally) {
	for _, p := range [][2]*atomic.Int64{
		{&t.answered, &o.answered}, {&t.requested, &o.requested}, {&t.received, &o.received},
		{&t.short, &o.short}, {&t.long, &o.long}, {&t.empty, &o.empty}, {&t.unverified, &o.unverified},
	} {
		p[0].Add(p[1].Load())
	}
}

func (t *lengthTally) report(exact bool) *report.OutputLength {
	return &report.OutputLength{
		ExactRequired: exact,
		Answered:      t.answered.Load(), Requested: t.requested.Load(), Received: t.received.Load(),
		Short: t.short.Load(), Long: t.long.Load(), Empty: t.empty.Load(), Unverified: t.unverified.Load(),
	}
}
