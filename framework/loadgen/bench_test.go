package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
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

// memConn is a net.Conn that reads a fixed response and discards writes.
type memConn struct {
	net.Conn
	r *bytes.Reader
}

func (c *memConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *memConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
func (c *memConn) Close() error                     { return nil }

// BenchmarkWireExchange measures the engine's HTTP/1.1 client on one
// 256-token streamed response: writing the request, parsing the head, decoding
// one chunk per token and giving the connection back, on an in-memory
// connection so only the client's own work is counted.
func BenchmarkWireExchange(b *testing.B) {
	events := sseBody(256)
	var resp bytes.Buffer
	resp.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	for len(events) > 0 {
		i := bytes.Index(events, []byte("\n\n")) + 2
		fmt.Fprintf(&resp, "%x\r\n%s\r\n", i, events[:i])
		events = events[i:]
	}
	resp.WriteString("0\r\n\r\n")
	raw := resp.Bytes()

	o := &Options{RequestTimeout: time.Minute, MaxTCPConnections: 1, Streaming: true}
	c, err := newWireClient("http://127.0.0.1:8000/v1/completions", http.Header{"Content-Type": {"application/json"}}, o)
	if err != nil || c == nil {
		b.Fatal("no wire client", err)
	}
	e := &engine{o: *o, keys: contentKeys{field: "text"}, clk: clock{base: time.Now()}, wire: c}
	w := &worker{e: e}
	mc := &memConn{r: bytes.NewReader(raw)}
	c.idle = []*wireConn{{c: mc, br: bufio.NewReaderSize(mc, wireReadBuffer), lastUsed: time.Now()}}
	c.open = 1
	body := bytes.Repeat([]byte("x"), 4096)
	ctx := context.Background()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		mc.r.Reset(raw)
		var start time.Duration
		status, rb, err := c.do(ctx, w, body, "tg-bench-0-0", &start)
		if err != nil {
			b.Fatal(err)
		}
		var oc outcome
		oc.maxTokens = 256
		if err := w.read(status, rb, &oc); err != nil {
			b.Fatal(err)
		}
		if oc.chunks != 256 || len(c.idle) != 1 {
			b.Fatalf("chunks %d, idle connections %d", oc.chunks, len(c.idle))
		}
	}
}

// BenchmarkIdlePeek measures the check a keep-alive connection passes before
// reuse (no unsolicited bytes, no close) on a real loopback socket.
func BenchmarkIdlePeek(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Skip(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c)
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	wc := &wireConn{c: c, peek: newPeeker(c), br: bufio.NewReaderSize(c, wireReadBuffer)}
	b.ReportAllocs()
	for b.Loop() {
		if !wc.quiet() {
			b.Fatal("an idle connection read as not quiet")
		}
	}
}
