package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// wireClient is the engine's own HTTP/1.1 client for its one endpoint. The
// engine sends one kind of request (a POST with a JSON body) and reads one
// kind of answer, so it writes each request with a single write from a
// pre-rendered head and parses the response on the worker's goroutine. That
// puts the send timestamp right before the write and the token timestamps
// right after the reads that return them, with no goroutine between the
// socket and the clock, and costs a fraction of net/http's allocations and
// goroutine switches. Targets behind a proxy, and Options.Client, use net/http.
type wireClient struct {
	addr    string // host:port to dial
	tls     *tls.Config
	head    []byte // request line and the headers every request carries
	timeout time.Duration
	dialer  net.Dialer

	mu    sync.Mutex
	idle  []*wireConn
	open  int
	limit int
	freed chan struct{} // a connection went idle or closed; waiters re-check
}

// wireConn is one keep-alive connection.
type wireConn struct {
	c        net.Conn
	peek     *peeker // the socket under c (under TLS too: any record arriving idle is unasked)
	br       *bufio.Reader
	reused   bool
	lastUsed time.Time
}

const (
	// wireIdleTimeout drops connections idle for longer (servers close theirs
	// after 5 s to a few minutes; a stale one costs a retry).
	wireIdleTimeout = 60 * time.Second
	// wireMaxHeaderBytes bounds a response's status line and headers.
	wireMaxHeaderBytes = 1 << 20
	wireReadBuffer     = 16 << 10
	// maxBlankLines is how many empty lines may precede a status line.
	maxBlankLines = 4
	userAgent     = "tailgate"
)

// errTimedOut is what a request that ran past Options.RequestTimeout returns.
var errTimedOut = fmt.Errorf("request timed out: %w", context.DeadlineExceeded)

// newWireClient prepares the client for endpoint; it returns nil (use net/http)
// when a proxy from the environment applies to the endpoint.
func newWireClient(endpoint string, header http.Header, o *Options) (*wireClient, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("server.base_url: %w", err)
	}
	probe := &http.Request{URL: u, Header: http.Header{}}
	if p, err := http.ProxyFromEnvironment(probe); err != nil || p != nil {
		return nil, nil
	}
	c := &wireClient{
		addr: u.Host, timeout: o.RequestTimeout, limit: o.MaxTCPConnections,
		dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		freed:  make(chan struct{}, 1),
	}
	host := u.Hostname()
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		c.addr = net.JoinHostPort(host, port)
	}
	if u.Scheme == "https" {
		c.tls = &tls.Config{}
		if o.TLSConfig != nil {
			c.tls = o.TLSConfig.Clone()
		}
		if c.tls.ServerName == "" {
			c.tls.ServerName = host
		}
		c.tls.NextProtos = []string{"http/1.1"}
	}
	h := header.Clone()
	if h.Get("Authorization") == "" && u.User != nil {
		pw, _ := u.User.Password()
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pw)))
	}
	hostHeader := u.Host
	if v := h.Get("Host"); v != "" {
		hostHeader = v
		h.Del("Host")
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", userAgent)
	}
	b := []byte("POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n")
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Transfer-Encoding", "Connection", "X-Request-Id":
			continue // the client writes these itself
		}
		for _, v := range h[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	c.head = b
	return c, nil
}

// validHeader reports whether name and value can be written as a header line.
func validHeader(name, value string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if ch <= ' ' || ch >= 0x7f || bytes.IndexByte([]byte(`"(),/:;<=>?@[\]{}`), ch) >= 0 {
			return false
		}
	}
	for i := 0; i < len(value); i++ {
		if ch := value[i]; ch == '\r' || ch == '\n' || ch == 0 {
			return false
		}
	}
	return true
}

// get returns an idle connection or dials one, waiting while the connection
// limit is reached.
func (c *wireClient) get(ctx context.Context, deadline time.Time) (*wireConn, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
retry:
	for {
		c.mu.Lock()
		for len(c.idle) > 0 {
			wc := c.idle[len(c.idle)-1]
			c.idle = c.idle[:len(c.idle)-1]
			if time.Since(wc.lastUsed) > wireIdleTimeout {
				_ = wc.c.Close()
				c.open--
				continue
			}
			more := len(c.idle) > 0 || c.open < c.limit
			c.mu.Unlock()
			if more {
				c.signal()
			}
			if !wc.quiet() {
				c.put(wc, false) // unsolicited bytes or a close arrived while idle
				continue retry
			}
			return wc, nil
		}
		if c.open < c.limit {
			c.open++
			c.mu.Unlock()
			dctx, cancel := context.WithDeadline(ctx, deadline)
			wc, err := c.dial(dctx)
			cancel()
			if err != nil {
				if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
					err = errTimedOut
				}
				c.mu.Lock()
				c.open--
				c.mu.Unlock()
				c.signal()
				return nil, err
			}
			return wc, nil
		}
		c.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
		}
		select {
		case <-c.freed:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return nil, errTimedOut
		}
	}
}

func (c *wireClient) signal() {
	select {
	case c.freed <- struct{}{}:
	default:
	}
}

func (c *wireClient) dial(ctx context.Context) (*wireConn, error) {
	conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, err
	}
	peek := newPeeker(conn)
	if c.tls != nil {
		tc := tls.Client(conn, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, err
		}
		conn = tc
	}
	return &wireConn{c: conn, peek: peek, br: bufio.NewReaderSize(conn, wireReadBuffer)}, nil
}

// quiet reports whether an idle connection has nothing to read: no byte the
// server sent unasked (which would otherwise be read as the answer to the
// next request) and no close. It polls the socket without waiting.
func (wc *wireConn) quiet() bool {
	if wc.br.Buffered() > 0 {
		return false
	}
	return wc.peek.quiet()
}

// put returns a connection whose response was read to its exact end, or
// closes it. A connection holding bytes past the end of the response (an
// unsolicited answer, a stray CRLF) is closed as net/http closes one: those
// bytes belong to no request.
func (c *wireClient) put(wc *wireConn, reusable bool) {
	if reusable && wc.br.Buffered() == 0 && wc.c.SetDeadline(time.Time{}) == nil {
		wc.reused, wc.lastUsed = true, time.Now()
		c.mu.Lock()
		c.idle = append(c.idle, wc)
		c.mu.Unlock()
	} else {
		_ = wc.c.Close()
		c.mu.Lock()
		c.open--
		c.mu.Unlock()
	}
	c.signal()
}

// closeIdle closes every idle connection (at the end of a run).
func (c *wireClient) closeIdle() {
	c.mu.Lock()
	idle := c.idle
	c.idle = nil
	c.open -= len(idle)
	c.mu.Unlock()
	for _, wc := range idle {
		_ = wc.c.Close()
	}
}

// do writes one request and reads the response head. start is set to the
// clock reading just before the request's bytes are written (after any dial),
// and again if a stale keep-alive connection forces a resend. The caller must
// close the returned body, which gives the connection back.
func (c *wireClient) do(ctx context.Context, w *worker, body []byte, id string, start *time.Duration) (int, io.ReadCloser, error) {
	buf := append(w.req[:0], c.head...)
	buf = append(buf, "X-Request-Id: "...)
	buf = append(buf, id...)
	buf = append(buf, "\r\nContent-Length: "...)
	buf = strconv.AppendInt(buf, int64(len(body)), 10)
	buf = append(buf, "\r\n\r\n"...)
	buf = append(buf, body...)
	w.req = buf
	began := time.Now()
	for attempt := 0; ; attempt++ {
		wc, err := c.get(ctx, began.Add(c.timeout))
		if err != nil {
			return 0, nil, err
		}
		if err := wc.c.SetDeadline(began.Add(c.timeout)); err != nil {
			c.put(wc, false)
			return 0, nil, err
		}
		stop := context.AfterFunc(ctx, func() { _ = wc.c.SetDeadline(time.Unix(1, 0)) })
		*start = w.e.clk.now()
		_, err = wc.c.Write(buf)
		var status int
		var b *wireBody
		var fresh bool
		if err == nil {
			status, b, fresh, err = readHead(wc)
		} else if !isTimeout(err) {
			// A server may answer before reading the whole body (413, 400)
			// and close: its answer says more than the failed write.
			if st, rb, _, rerr := readHead(wc); rerr == nil {
				rb.keepAlive = false
				status, b, err = st, rb, nil
			} else {
				fresh = true
			}
		}
		if err == nil {
			b.c, b.stop = c, stop
			return status, b, nil
		}
		stop()
		c.put(wc, false)
		switch {
		case ctx.Err() != nil:
			return 0, nil, ctx.Err()
		case isTimeout(err):
			return 0, nil, errTimedOut
		case wc.reused && fresh && attempt == 0 && staleConn(err):
			continue // the server closed an idle connection before reading this request: resend
		}
		return 0, nil, err
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// staleConn reports an error that a server closing a kept-alive connection produces.
func staleConn(err error) bool {
	var op *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &op)
}

// readHead reads the status line and headers (skipping 1xx answers) and
// returns the body framed as the headers say. fresh is true when the
// connection failed before any byte of a response arrived.
func readHead(wc *wireConn) (status int, b *wireBody, fresh bool, err error) {
	hr := &headReader{br: wc.br}
	blank := 0
	for {
		l, err := hr.line()
		if err != nil {
			return 0, nil, hr.total == 0, err
		}
		if len(l) == 0 && blank < maxBlankLines {
			blank++ // a stray CRLF before the status line carries nothing
			continue
		}
		proto, code, err := parseStatusLine(l)
		if err != nil {
			return 0, nil, false, err
		}
		status = code
		b = &wireBody{wc: wc, length: -1, keepAlive: string(proto) != "HTTP/1.0"}
		if err := hr.headers(b, string(proto) == "HTTP/1.0"); err != nil {
			return 0, nil, false, err
		}
		if status >= 200 || status == http.StatusSwitchingProtocols {
			break
		}
	}
	frame(status, b)
	return status, b, false, nil
}

// headReader reads the lines of one response head, at most
// wireMaxHeaderBytes in all.
type headReader struct {
	br    *bufio.Reader
	total int // bytes read so far
}

// line returns the next line without its CRLF.
func (h *headReader) line() ([]byte, error) {
	l, err := h.br.ReadSlice('\n')
	h.total += len(l)
	if err == bufio.ErrBufferFull || h.total > wireMaxHeaderBytes {
		return nil, &invalidResponse{msg: "malformed HTTP response: header line too long"}
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(l, "\r\n"), nil
}

// parseStatusLine returns the protocol and status code of an HTTP/1.x status line.
func parseStatusLine(l []byte) ([]byte, int, error) {
	proto, rest, ok := bytes.Cut(l, []byte(" "))
	code, _, _ := bytes.Cut(rest, []byte(" "))
	if !ok || !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(code) != 3 {
		return nil, 0, &invalidResponse{msg: fmt.Sprintf("malformed HTTP response: status line %q", truncate(l, 100))}
	}
	status, err := strconv.Atoi(string(code))
	if err != nil || status < 100 {
		return nil, 0, &invalidResponse{msg: fmt.Sprintf("malformed HTTP response: status line %q", truncate(l, 100))}
	}
	return proto, status, nil
}

// headers reads the header lines up to the blank line into b's framing and
// keep-alive; http10 is true for an HTTP/1.0 response.
func (h *headReader) headers(b *wireBody, http10 bool) error {
	for {
		l, err := h.line()
		if err != nil {
			return err
		}
		if len(l) == 0 {
			return nil
		}
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			return &invalidResponse{msg: fmt.Sprintf("malformed HTTP response: header line %q", truncate(l, 100))}
		}
		if err := b.header(name, bytes.TrimSpace(value), http10); err != nil {
			return err
		}
	}
}

// header applies one header field to b's framing and keep-alive.
func (b *wireBody) header(name, value []byte, http10 bool) error {
	switch {
	case bytes.EqualFold(name, []byte("Content-Length")):
		n, err := strconv.ParseInt(string(value), 10, 64)
		if err != nil || n < 0 {
			return &invalidResponse{msg: fmt.Sprintf("malformed HTTP response: Content-Length %q", truncate(value, 40))}
		}
		b.length = n
	case bytes.EqualFold(name, []byte("Transfer-Encoding")):
		codings := bytes.Split(value, []byte(","))
		b.chunked = bytes.EqualFold(bytes.TrimSpace(codings[len(codings)-1]), []byte("chunked"))
		if !b.chunked {
			b.keepAlive = false // framed by the connection's end
		}
	case bytes.EqualFold(name, []byte("Connection")):
		for _, tok := range bytes.Split(value, []byte(",")) {
			tok = bytes.TrimSpace(tok)
			if bytes.EqualFold(tok, []byte("close")) {
				b.keepAlive = false
			} else if bytes.EqualFold(tok, []byte("keep-alive")) && http10 {
				b.keepAlive = true
			}
		}
	}
	return nil
}

// frame decides how b's body ends from the status and the headers.
func frame(status int, b *wireBody) {
	switch {
	case status == http.StatusNoContent || status == http.StatusNotModified || status < 200:
		b.length, b.chunked = 0, false
	case b.chunked:
		b.length = -1
	case b.length < 0:
		b.keepAlive = false // no framing: the body ends when the server closes
	}
	b.done = b.length == 0 && !b.chunked
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// wireBody reads one response body (chunked, sized or until close) from its
// connection and gives the connection back on Close.
type wireBody struct {
	wc        *wireConn
	c         *wireClient
	stop      func() bool
	chunked   bool
	length    int64 // bytes left of a sized body, or of the current chunk; -1 unknown
	keepAlive bool
	done      bool // the body was read to its end
	err       error
	closed    bool
}

// Read returns body bytes; a chunked body returns at most one chunk's data per call.
func (b *wireBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.done {
		return 0, io.EOF
	}
	if b.chunked && b.length <= 0 {
		if err := b.nextChunk(); err != nil {
			b.err = err
			return 0, err
		}
		if b.done {
			return 0, io.EOF
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.length >= 0 && int64(len(p)) > b.length {
		p = p[:b.length]
	}
	n, err := b.wc.br.Read(p)
	if b.length >= 0 {
		b.length -= int64(n)
	}
	switch {
	case err == io.EOF && b.length < 0 && !b.chunked:
		b.done = true // close-delimited body
		return n, io.EOF
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	case err == nil && !b.chunked && b.length == 0:
		b.done = true
	}
	if err != nil {
		b.err = b.mapErr(err)
		return n, b.err
	}
	return n, nil
}

// nextChunk consumes the end of the previous chunk and the next chunk's size
// line, or the last chunk and its trailers.
func (b *wireBody) nextChunk() error {
	br := b.wc.br
	readLine := func() ([]byte, error) {
		l, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, &invalidResponse{msg: "malformed chunked body: line too long"}
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, b.mapErr(err)
		}
		return bytes.TrimRight(l, "\r\n"), nil
	}
	if b.length == 0 { // the CRLF after the previous chunk's data
		l, err := readLine()
		if err != nil {
			return err
		}
		if len(l) != 0 {
			return &invalidResponse{msg: "malformed chunked body: chunk data longer than its size"}
		}
	}
	l, err := readLine()
	if err != nil {
		return err
	}
	if i := bytes.IndexByte(l, ';'); i >= 0 {
		l = l[:i] // chunk extensions are ignored
	}
	size, perr := strconv.ParseInt(string(bytes.TrimSpace(l)), 16, 64)
	if perr != nil || size < 0 {
		return &invalidResponse{msg: fmt.Sprintf("malformed chunked body: chunk size %q", truncate(l, 40))}
	}
	if size > 0 {
		b.length = size
		return nil
	}
	for { // trailers, up to the blank line
		t, err := readLine()
		if err != nil {
			return err
		}
		if len(t) == 0 {
			b.done = true
			return nil
		}
	}
}

func (b *wireBody) mapErr(err error) error {
	switch {
	case isTimeout(err) && b.stop != nil && !b.stop():
		return context.Canceled // the run cancelled the request (its AfterFunc ran)
	case isTimeout(err):
		return errTimedOut
	}
	return err
}

// drainRest reads what is left of a finished stream (the chunked terminator)
// for at most 500 ms and 4 KiB, so the connection can be reused without a
// server that holds the body open holding the worker.
func (b *wireBody) drainRest() {
	if b.done || b.err != nil {
		return
	}
	_ = b.wc.c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, b, 4096)
}

// Close gives the connection back when the body was read to its end, else closes it.
func (b *wireBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.stop != nil {
		b.stop()
	}
	b.c.put(b.wc, b.done && b.err == nil && b.keepAlive)
	return nil
}
