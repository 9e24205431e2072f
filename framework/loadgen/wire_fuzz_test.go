package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzWireResponse feeds arbitrary bytes to the response parser: it must
// return an answer or an error, never panic, and never loop.
func FuzzWireResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nT: v\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 503 Busy\r\n\r\nbody"))
	f.Add([]byte("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		wc := &wireConn{br: bufio.NewReaderSize(bytes.NewReader(data), 64)}
		_, b, _, err := readHead(wc)
		if err != nil {
			return
		}
		buf := make([]byte, 7)
		for range len(data) + 2 {
			_, err := b.Read(buf)
			if err != nil {
				var ir *invalidResponse
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &ir) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
		}
		t.Fatalf("the body of %d bytes was not finished after %d reads", len(data), len(data)+2)
	})
}
