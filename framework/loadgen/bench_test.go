package loadgen

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// sseBody is a 256-token vLLM-shaped completion stream.
func sseBody(tokens int) []byte {
	var b bytes.Buffer
	for i := 0; i < tokens; i++ {
		b.WriteString(`data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"qwen3-8b","choices":[{"index":0,"text":" the","logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}` + "\n\n")
	}
	b.WriteString(`data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"qwen3-8b","choices":[],"usage":{"prompt_tokens":1024,"total_tokens":1280,"completion_tokens":256}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

// BenchmarkReadStream measures SSE parsing of one 256-token stream; the
// per-token cost is ns/op / 256. It must not allocate per token.
func BenchmarkReadStream(b *testing.B) {
	body := sseBody(256)
	e := &engine{keys: contentKeys{field: "text"}, clk: clock{base: time.Now()}}
	e.o.Streaming = true
	w := &worker{e: e}
	r := bytes.NewReader(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(body)
		var o outcome
		o.maxTokens = 256
		if err := w.readStream(io.NopCloser(r), &o); err != nil {
			b.Fatal(err)
		}
		if o.chunks != 256 || o.completion != 256 {
			b.Fatalf("chunks %d completion %d", o.chunks, o.completion)
		}
	}
}

// BenchmarkRecord measures aggregating one finished 256-token request.
func BenchmarkRecord(b *testing.B) {
	rec := newRecorder(&Options{MaxErrorMessages: 100})
	gaps := make([]time.Duration, 255)
	for i := range gaps {
		gaps[i] = 10 * time.Millisecond
	}
	o := outcome{scheduled: 0, start: time.Millisecond, first: 50 * time.Millisecond, last: 2600 * time.Millisecond,
		end: 2601 * time.Millisecond, chunks: 256, gaps: gaps, inputLen: 1024, maxTokens: 256,
		usage: true, prompt: 1024, completion: 256, streamed: true}
	b.ReportAllocs()
	for b.Loop() {
		rec.record(&o)
	}
	if rec.hist[report.ITL].Count() == 0 {
		b.Fatal("nothing recorded")
	}
}
