package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// prepared is a request body made ahead of its send time. It is its own
// request body (io.ReadCloser) and goes back to the pool when the transport
// closes it, so buffers are reused without racing the transport's writer.
type prepared struct {
	index     int
	inputLen  int
	maxTokens int
	body      []byte
	r         bytes.Reader
	closed    atomic.Bool
	pool      *sync.Pool
}

func (p *prepared) Read(b []byte) (int, error) { return p.r.Read(b) }

// Close returns the buffer to its pool; later calls do nothing.
func (p *prepared) Close() error {
	if p.closed.CompareAndSwap(false, true) && p.pool != nil {
		p.pool.Put(p)
	}
	return nil
}

// ticket hands one prepared request to a worker with its planned send time.
type ticket struct {
	st *stageRun
	p  *prepared
	at time.Duration
}

const (
	maxEventBytes = 1 << 20  // one SSE line may not exceed 1 MiB
	maxBodyBytes  = 16 << 20 // a non-streamed body may not exceed 16 MiB
	maxErrorBody  = 64 << 10
)

// worker sends requests and reads their responses. Its buffers are reused
// across requests, so a streamed token costs no allocation.
type worker struct {
	e    *engine
	buf  []byte
	gaps []time.Duration
	c    chunk
	req  []byte // the wire client's request buffer
	// wrote is when the transport last wrote a request's headers to its
	// connection (clock offset, 0 before), set from the transport's goroutine.
	wrote atomic.Int64
	ct    *httptrace.ClientTrace
	// busySince is 1 + the start of the request in flight (clock offset), 0 when idle.
	busySince atomic.Int64
}

// trace returns the worker's reusable client trace, which stamps wrote.
func (w *worker) trace() *httptrace.ClientTrace {
	if w.ct == nil {
		w.ct = &httptrace.ClientTrace{WroteHeaders: func() { w.wrote.Store(int64(w.e.clk.now())) }}
	}
	return w.ct
}

// errNoDone marks a stream that ended without its [DONE] event.
var errNoDone = errors.New("stream ended before [DONE]")

// invalidResponse is a well-formed HTTP exchange whose payload the engine cannot accept.
type invalidResponse struct{ msg string }

func (e *invalidResponse) Error() string { return e.msg }

// serverError is an error reported by the server inside a 200 stream.
type serverError struct {
	code int
	msg  string
}

func (e *serverError) Error() string { return e.msg }

func (w *worker) run(t ticket) {
	e := w.e
	st, p := t.st, t.p
	o := outcome{
		stage: st.id, index: p.index, scheduled: t.at,
		inputLen: p.inputLen, maxTokens: p.maxTokens, streamed: e.o.Streaming,
	}
	o.id = e.requestID(st.id, p.index)

	n := e.inFlight.Add(1)
	for {
		m := e.maxInFlight.Load()
		if n <= m || e.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	st.sent.Add(1)
	e.sent.Add(1)
	o.start = e.clk.now()
	w.busySince.Store(int64(o.start) + 1)
	defer w.busySince.Store(0)
	var err error
	if e.wire != nil {
		var status int
		var body io.ReadCloser
		status, body, err = e.wire.do(st.reqCtx, w, p.body, o.id, &o.start)
		p.Close()
		if err == nil {
			err = w.read(status, body, &o)
		}
	} else {
		err = w.viaNetHTTP(st.reqCtx, p, &o)
	}
	if err == nil {
		err = checkLength(&o, e.o.IgnoreEOS)
	}
	if !o.ended {
		o.end = e.clk.now()
	}
	e.inFlight.Add(-1)
	e.finish(st, &o, err)
}

// viaNetHTTP sends p with net/http (Options.Client, or a proxied target) and
// reads the response. The send time is when the transport wrote the headers.
func (w *worker) viaNetHTTP(ctx context.Context, p *prepared, o *outcome) error {
	e := w.e
	ctx, cancel := context.WithTimeout(ctx, e.o.RequestTimeout)
	defer cancel()
	w.wrote.Store(0)
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, w.trace()), http.MethodPost, e.endpoint, p)
	if err != nil { // the endpoint was validated; only a broken context gets here
		p.Close()
		return err
	}
	req.ContentLength = int64(len(p.body))
	req.GetBody = nil
	req.Header = make(http.Header, len(e.header)+1)
	for k, v := range e.header {
		req.Header[k] = v
	}
	req.Header["X-Request-Id"] = []string{o.id}
	resp, err := e.client.Do(req)
	if at := w.wrote.Load(); at > int64(o.start) {
		o.start = time.Duration(at) // the headers went out: the send, after any dial and handoff
	}
	if err != nil {
		return err
	}
	return w.read(resp.StatusCode, resp.Body, o)
}

// read consumes the response and fills the timing and usage fields of o.
func (w *worker) read(status int, body io.ReadCloser, o *outcome) error {
	defer body.Close()
	if status != http.StatusOK {
		return w.httpError(status, body)
	}
	if w.e.o.Streaming {
		return w.readStream(body, o)
	}
	return w.readWhole(body, o)
}

func (w *worker) httpError(status int, body io.Reader) error {
	b, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
	msg := strings.TrimSpace(string(b))
	if err := parseChunk(bytes.TrimSpace(b), contentKeys{field: "-"}, &w.c); err == nil && len(w.c.errMsg) > 0 {
		msg = unquote(w.c.errMsg)
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if msg == "" {
		msg = strconv.Itoa(status) + " " + http.StatusText(status)
	}
	return &serverError{code: status, msg: msg}
}

// readStream parses the SSE stream line by line from a reused buffer. Each
// content-bearing event is stamped with the time the read that completed it
// returned (inference-perf stamps an event when it is split from the buffer).
func (w *worker) readStream(body io.Reader, o *outcome) error {
	if cap(w.buf) < 32<<10 {
		w.buf = make([]byte, 32<<10)
	}
	buf := w.buf[:cap(w.buf)]
	r, end := 0, 0
	sniffed := false // the body's first byte was looked at: SSE, or a JSON object
	w.gaps = w.gaps[:0]
	for {
		var err error
		if buf, r, end, err = w.makeRoom(buf, r, end); err != nil {
			return err
		}
		n, rerr := body.Read(buf[end:])
		now := w.e.clk.now()
		end += n
		if !sniffed {
			i := skipWS(buf[:end], r)
			if i == end && rerr == nil {
				continue // only whitespace so far
			}
			sniffed = true
			if i < end && buf[i] == '{' {
				return w.readJSONAnswer(buf[i:end], body, rerr)
			}
		}
		used, done, err := w.streamLines(buf[r:end], now, o)
		r += used
		if err != nil {
			return err
		}
		if done {
			// The response ends here; what follows is only the chunked
			// terminator, read so the connection can be reused, but never
			// for long and never counted in the latency.
			drain(body)
			o.gaps = w.gaps
			return nil
		}
		if rerr == io.EOF {
			return fmt.Errorf("%w after %d content chunks: %w", errNoDone, o.chunks, io.ErrUnexpectedEOF)
		}
		if rerr != nil {
			return rerr
		}
	}
}

// makeRoom frees the end of buf for the next read: the unread bytes
// buf[r:end] move to the front, or, when they fill buf, buf doubles (up to
// maxEventBytes for one line). It returns the buffer and the new r and end.
func (w *worker) makeRoom(buf []byte, r, end int) ([]byte, int, int, error) {
	if end < len(buf) {
		return buf, r, end, nil
	}
	if r > 0 {
		return buf, 0, copy(buf, buf[r:end]), nil
	}
	if len(buf) >= maxEventBytes {
		return buf, r, end, &invalidResponse{msg: "malformed SSE stream: a line exceeds 1 MiB without a newline"}
	}
	nb := make([]byte, 2*len(buf))
	copy(nb, buf[:end])
	w.buf = nb
	return nb, r, end, nil
}

// streamLines handles the complete lines of data, read at now: it returns
// the bytes used, and done at the [DONE] event (o.end set).
func (w *worker) streamLines(data []byte, now time.Duration, o *outcome) (int, bool, error) {
	used := 0
	for {
		nl := bytes.IndexByte(data[used:], '\n')
		if nl < 0 {
			return used, false, nil
		}
		line := data[used : used+nl]
		used += nl + 1
		if k := len(line); k > 0 && line[k-1] == '\r' {
			line = line[:k-1]
		}
		if !bytes.HasPrefix(line, []byte("data:")) {
			continue // blank separators, comments, event: and id: fields
		}
		payload := bytes.TrimSpace(line[5:])
		if string(payload) == "[DONE]" {
			o.end, o.ended = w.e.clk.now(), true
			return used, true, nil
		}
		if err := w.streamEvent(payload, now, o); err != nil {
			return used, false, err
		}
	}
}

// streamEvent records one SSE data payload received at now.
func (w *worker) streamEvent(payload []byte, now time.Duration, o *outcome) error {
	if err := parseChunk(payload, w.e.keys, &w.c); err != nil {
		return &invalidResponse{msg: "malformed SSE event: data is not a JSON object: " + describeJSON(payload)}
	}
	if w.c.isError {
		return &serverError{code: int(w.c.errCode), msg: "error in stream: " + unquote(w.c.errMsg)}
	}
	if w.c.usage {
		o.usage, o.prompt, o.completion = true, w.c.prompt, w.c.completion
	}
	if w.c.content {
		if o.chunks == 0 {
			o.first = now
		} else {
			w.gaps = append(w.gaps, now-o.last)
		}
		o.last = now
		o.chunks++
	}
	return nil
}

func (w *worker) readWhole(body io.Reader, o *outcome) error {
	bb := bytes.NewBuffer(w.buf[:0])
	_, err := bb.ReadFrom(io.LimitReader(body, maxBodyBytes+1))
	w.buf = bb.Bytes()[:0]
	if err != nil {
		return err
	}
	b := bytes.TrimSpace(bb.Bytes())
	if len(b) > maxBodyBytes {
		return &invalidResponse{msg: "response body exceeds 16 MiB"}
	}
	if err := parseChunk(b, w.e.keysWhole, &w.c); err != nil {
		return &invalidResponse{msg: "response body is not a JSON object: " + describeJSON(b)}
	}
	if w.c.isError {
		return errorObject(&w.c)
	}
	if w.c.usage {
		o.usage, o.prompt, o.completion = true, w.c.prompt, w.c.completion
	}
	if w.c.content {
		o.chunks = 1
	}
	return nil
}

// readJSONAnswer reads a 200 answer to a streamed request that is a JSON
// object instead of server-sent events: the server's error object, or a
// whole completion from a server that ignored "stream": true. head is what
// was read of it; rerr the error of that read.
func (w *worker) readJSONAnswer(head []byte, body io.Reader, rerr error) error {
	b := append([]byte(nil), head...)
	if rerr == nil {
		rest, _ := io.ReadAll(io.LimitReader(body, maxErrorBody))
		b = append(b, rest...)
	}
	b = bytes.TrimSpace(b)
	if err := parseChunk(b, contentKeys{field: "-"}, &w.c); err == nil && w.c.isError {
		return errorObject(&w.c)
	}
	return &invalidResponse{msg: "asked for a stream but the 200 answer is a JSON object, not server-sent events: " + describeJSON(b)}
}

// errorAnswer is an error object the server sent as a 200 answer.
type errorAnswer struct{ msg string }

func (e *errorAnswer) Error() string { return e.msg }

// errorObject turns a parsed error object into an errorAnswer carrying the
// server's message (and its code, when it gave one).
func errorObject(c *chunk) error {
	msg := unquote(c.errMsg)
	if msg == "" {
		msg = "error object without a message"
	}
	if c.errCode != 0 {
		msg = fmt.Sprintf("%s (code %d)", msg, c.errCode)
	}
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return &errorAnswer{msg: msg}
}

// drain reads what is left of a finished stream (the chunked terminator) so
// the connection goes back to the pool, giving up after 4 KiB or 500 ms: a
// server that keeps the body open after [DONE] must not hold the worker.
func drain(body io.Reader) {
	if b, ok := body.(*wireBody); ok {
		b.drainRest()
		return
	}
	if c, ok := body.(io.Closer); ok {
		t := time.AfterFunc(500*time.Millisecond, func() { _ = c.Close() })
		defer t.Stop()
	}
	_, _ = io.CopyN(io.Discard, body, 4096)
}

// unquote renders the raw bytes of a JSON string for a message.
func unquote(raw []byte) string {
	s, err := strconv.Unquote(`"` + string(raw) + `"`)
	if err != nil {
		return string(raw)
	}
	return s
}
