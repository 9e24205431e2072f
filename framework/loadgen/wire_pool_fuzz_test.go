package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// poolScript is one fuzzed response per request, in order of arrival at the
// server. Its first byte holds flags; the rest is written around the
// response (unsolicited bytes, forged responses, stray CRLFs).
type poolScript [][]byte

const (
	scriptChunked   = 1 << iota // the answer is chunked instead of sized
	scriptCloseConn             // the server closes the connection after writing
	scriptPrefix                // the extra bytes go before the answer, not after it
)

// unchecked marks a request whose answer the fuzzed bytes themselves may form.
const unchecked = "\x00"

// poolServer answers each request with a body only the server could know
// when it read that request: the request id and a fresh random secret.
type poolServer struct {
	ln      net.Listener
	script  poolScript
	mu      sync.Mutex
	n       int
	secrets map[string]string
}

func (s *poolServer) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := req.Header.Get("X-Request-Id")
		body := id + ":" + hex.EncodeToString(b)
		s.mu.Lock()
		step := s.script[s.n%len(s.script)]
		s.n++
		flags, extra := byte(0), []byte(nil)
		if len(step) > 0 {
			flags, extra = step[0], step[1:]
		}
		s.secrets[id] = body
		if flags&scriptPrefix != 0 && len(extra) > 0 {
			// Bytes written after reading a request and before its answer
			// are, to any client, the server's answer: nothing to check.
			s.secrets[id] = unchecked
		}
		s.mu.Unlock()
		var out bytes.Buffer
		if flags&scriptPrefix != 0 {
			out.Write(extra)
		}
		if flags&scriptChunked != 0 {
			fmt.Fprintf(&out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		} else {
			fmt.Fprintf(&out, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		}
		if flags&scriptPrefix == 0 {
			out.Write(extra)
		}
		// One write: the extra bytes are on the socket before the client
		// has finished reading the answer.
		if _, err := c.Write(out.Bytes()); err != nil || flags&scriptCloseConn != 0 {
			return
		}
	}
}

// FuzzWirePool sends requests one after another through the engine's client
// over connections it reuses, against a server that writes fuzzed bytes
// around its answers. Whatever those bytes are, a request either fails or
// gets exactly the answer the server wrote for it, never another's (or
// forged) bytes; and no connection is leaked.
func FuzzWirePool(f *testing.F) {
	ok := sseLikeAnswer()
	f.Add([]byte{0})
	f.Add([]byte("\x00\r\n"))
	f.Add([]byte("\x00" + ok))
	f.Add([]byte("\x01" + ok + "|\x00\r\n|\x02junk"))
	f.Add([]byte("\x04\r\n\r\n|\x04HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		script := poolScript(bytes.SplitN(data, []byte("|"), 6))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Skip(err)
		}
		defer ln.Close()
		s := &poolServer{ln: ln, script: script, secrets: map[string]string{}}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go s.serve(c)
			}
		}()
		o := &Options{RequestTimeout: 100 * time.Millisecond, MaxTCPConnections: 1}
		c, err := newWireClient("http://"+ln.Addr().String()+"/v1/completions", http.Header{}, o)
		if err != nil {
			t.Fatal(err)
		}
		w := &worker{e: &engine{clk: clock{base: time.Now()}}}
		for i := range 2*len(script) + 2 {
			checkPoolRequest(t, c, w, s, "r"+strconv.Itoa(i))
		}
		c.closeIdle()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.open != 0 {
			t.Fatalf("%d connections still counted open after every body was closed", c.open)
		}
	})
}

func checkPoolRequest(t *testing.T, c *wireClient, w *worker, s *poolServer, id string) {
	var start time.Duration
	status, body, err := c.do(context.Background(), w, []byte("{}"), id, &start)
	if err != nil {
		return
	}
	got, rerr := io.ReadAll(io.LimitReader(body, 1<<16))
	_ = body.Close()
	if rerr != nil {
		return
	}
	s.mu.Lock()
	want, sent := s.secrets[id]
	s.mu.Unlock()
	if want == unchecked {
		return
	}
	if status != http.StatusOK || !sent || string(got) != want {
		t.Fatalf("request %s succeeded with status %d and body %q; the server's answer was %q", id, status, got, want)
	}
}

// sseLikeAnswer is a complete forged response, as a misbehaving server might
// write unasked behind a real one.
func sseLikeAnswer() string {
	body := "r1:forged"
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}
