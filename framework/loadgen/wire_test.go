package loadgen_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

// rawServer answers every request on every connection by calling reply with
// the connection's writer; reply returns false to close the connection. It
// counts connections and keeps the requests it read.
type rawServer struct {
	ln       net.Listener
	conns    atomic.Int64
	open     atomic.Int64
	maxOpen  atomic.Int64
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

// listenLoopback calls handle on its own goroutine for every connection
// accepted on a loopback port until the spec ends.
func listenLoopback(handle func(net.Conn)) net.Listener {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(ln.Close)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln
}

func startRaw(reply func(n int, w *bufio.Writer) bool) *rawServer {
	GinkgoHelper()
	s := &rawServer{}
	s.ln = listenLoopback(func(c net.Conn) {
		s.conns.Add(1)
		o := s.open.Add(1)
		for m := s.maxOpen.Load(); o > m && !s.maxOpen.CompareAndSwap(m, o); m = s.maxOpen.Load() {
		}
		s.serve(c, reply)
	})
	return s
}

func (s *rawServer) serve(c net.Conn, reply func(int, *bufio.Writer) bool) {
	defer s.open.Add(-1)
	defer c.Close()
	br, bw := bufio.NewReader(c), bufio.NewWriter(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.bodies = append(s.bodies, string(body))
		n := len(s.requests)
		s.mu.Unlock()
		keep := reply(n, bw)
		if bw.Flush() != nil || !keep {
			return
		}
	}
}

func (s *rawServer) url() string { return "http://" + s.ln.Addr().String() }

func (s *rawServer) seen() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.requests...)
}

const (
	wholeBody = `{"choices":[{"text":"hi there"}],"usage":{"prompt_tokens":4,"completion_tokens":30}}`
	sseBody   = "data: {\"choices\":[{\"text\":\"a\"}]}\n\ndata: {\"choices\":[{\"text\":\"b\"}]}\n\ndata: [DONE]\n\n"
)

func lengthReply(_ int, w *bufio.Writer) bool {
	fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(wholeBody), wholeBody)
	return true
}

// wireRun sends n non-streamed (or streamed) requests at 20 req/s, without
// ignore_eos, so a short fixed answer is a success.
func wireRun(ctx context.Context, url string, stream bool, n int, edit func(*loadgen.Options)) report.Stage {
	GinkgoHelper()
	o := mockOptions(url)
	o.Streaming = stream
	o.IgnoreEOS = false // these servers answer a fixed short text whatever max_tokens asks
	o.Load = loadgen.LoadUniform
	o.Stages = []loadgen.Stage{{Rate: 20, Duration: time.Duration(n) * 50 * time.Millisecond, NumRequests: n}}
	o.LeadIn = -1
	if edit != nil {
		edit(&o)
	}
	res, err := loadgen.Run(ctx, o)
	Expect(err).NotTo(HaveOccurred())
	Expect(res.Report.Summary.Requests).To(BeEquivalentTo(n))
	return res.Report.Summary
}

var _ = Describe("the engine's HTTP/1.1 client", func() {
	It("reads sized bodies and keeps one connection alive across sequential requests", func(ctx SpecContext) {
		srv := startRaw(lengthReply)
		s := wireRun(ctx, srv.url(), false, 10, nil)
		Expect(s.Successes).To(BeEquivalentTo(10), "%v", s.FailuresByLabel)
		Expect(srv.conns.Load()).To(BeEquivalentTo(1))
	}, SpecTimeout(20*time.Second))

	It("sends the method, path, host, headers, request id and exact body", func(ctx SpecContext) {
		srv := startRaw(lengthReply)
		url := strings.Replace(srv.url(), "http://", "http://alice:s3cret@", 1) + "/prefix/"
		wireRun(ctx, url, false, 2, func(o *loadgen.Options) {
			o.Headers = map[string]string{"X-Team": "gate", "user-agent": "custom/1"}
		})
		reqs := srv.seen()
		Expect(reqs).To(HaveLen(2))
		r := reqs[0]
		Expect(r.Method).To(Equal(http.MethodPost))
		Expect(r.RequestURI).To(Equal("/prefix/v1/completions"))
		Expect(r.Host).To(Equal(srv.ln.Addr().String()))
		Expect(r.Header.Get("X-Team")).To(Equal("gate"))
		Expect(r.Header.Get("User-Agent")).To(Equal("custom/1"))
		Expect(r.Header.Get("Content-Type")).To(Equal("application/json"))
		Expect(r.Header.Get("X-Request-Id")).To(MatchRegexp(`^tg-[0-9a-f]{8}-0-0$`))
		Expect(reqs[1].Header.Get("X-Request-Id")).To(HaveSuffix("-0-1"))
		user, pw, ok := r.BasicAuth()
		Expect(ok).To(BeTrue())
		Expect(user + ":" + pw).To(Equal("alice:s3cret"))
		srv.mu.Lock()
		Expect(srv.bodies[0]).To(HavePrefix(`{"model":"test-model"`))
		Expect(r.ContentLength).To(BeEquivalentTo(len(srv.bodies[0])))
		srv.mu.Unlock()
	}, SpecTimeout(20*time.Second))

	It("an API key wins over credentials in the URL", func(ctx SpecContext) {
		srv := startRaw(lengthReply)
		url := strings.Replace(srv.url(), "http://", "http://alice:s3cret@", 1)
		wireRun(ctx, url, false, 1, func(o *loadgen.Options) { o.APIKey = "tok" })
		Expect(srv.seen()[0].Header.Get("Authorization")).To(Equal("Bearer tok"))
	}, SpecTimeout(20*time.Second))

	It("decodes chunked streams whatever the chunk boundaries, with extensions and trailers", func(ctx SpecContext) {
		srv := startRaw(func(_ int, w *bufio.Writer) bool {
			fmt.Fprint(w, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
			rest := sseBody
			for i, size := 0, 1; rest != ""; i, size = i+1, size*3 {
				n := min(size, len(rest))
				fmt.Fprintf(w, "%x;ext=%d\r\n%s\r\n", n, i, rest[:n])
				rest = rest[n:]
			}
			fmt.Fprint(w, "0\r\nX-Trailer: yes\r\n\r\n")
			return true
		})
		s := wireRun(ctx, srv.url(), true, 6, nil)
		Expect(s.Successes).To(BeEquivalentTo(6), "%v", s.FailuresByLabel)
		Expect(s.OutputTokensTotal).To(BeEquivalentTo(6 * 2))
		Expect(srv.conns.Load()).To(BeEquivalentTo(1), "a fully read chunked body leaves the connection reusable")
	}, SpecTimeout(20*time.Second))

	It("reads a body the server ends by closing, and one with Connection: close, on new connections", func(ctx SpecContext) {
		srv := startRaw(func(n int, w *bufio.Writer) bool {
			if n%2 == 0 {
				fmt.Fprintf(w, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n%s", wholeBody)
				return false
			}
			fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(wholeBody), wholeBody)
			return false
		})
		s := wireRun(ctx, srv.url(), false, 6, nil)
		Expect(s.Successes).To(BeEquivalentTo(6), "%v", s.FailuresByLabel)
		Expect(srv.conns.Load()).To(BeEquivalentTo(6))
	}, SpecTimeout(20*time.Second))

	It("resends on a new connection when the server closed a kept-alive one unannounced", func(ctx SpecContext) {
		srv := startRaw(func(_ int, w *bufio.Writer) bool {
			lengthReply(0, w)
			return false // closes without "Connection: close", as an idle timeout does
		})
		s := wireRun(ctx, srv.url(), false, 8, nil)
		Expect(s.Successes).To(BeEquivalentTo(8), "%v", s.FailuresByLabel)
		Expect(srv.seen()).To(HaveLen(8), "no request is sent twice")
	}, SpecTimeout(20*time.Second))

	It("skips 100 Continue and reports error statuses with the server's message", func(ctx SpecContext) {
		srv := startRaw(func(n int, w *bufio.Writer) bool {
			fmt.Fprint(w, "HTTP/1.1 100 Continue\r\n\r\n")
			if n%2 == 0 {
				msg := `{"error":{"message":"model overloaded","code":503}}`
				fmt.Fprintf(w, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
				return true
			}
			return lengthReply(n, w)
		})
		s := wireRun(ctx, srv.url(), false, 4, nil)
		Expect(s.Successes).To(BeEquivalentTo(2))
		Expect(s.FailuresByLabel).To(HaveKey("503 - Service Unavailable"))
		Expect(s.FailuresByLabel["503 - Service Unavailable"].Messages).To(ConsistOf("model overloaded"))
		Expect(srv.conns.Load()).To(BeEquivalentTo(1), "a fully read error body keeps the connection")
	}, SpecTimeout(20*time.Second))

	It("labels a malformed status line, header or chunk size Invalid Response", func(ctx SpecContext) {
		for _, bad := range []string{
			"HTTP/1.1 2OO OK\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n",
			"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		} {
			srv := startRaw(func(_ int, w *bufio.Writer) bool { w.WriteString(bad); return false })
			s := wireRun(ctx, srv.url(), false, 1, nil)
			Expect(s.FailuresByLabel).To(HaveKey(loadgen.LabelInvalidResponse), "%q: %v", bad, s.FailuresByLabel)
			Expect(s.FailuresByLabel[loadgen.LabelInvalidResponse].Messages[0]).To(ContainSubstring("malformed"))
		}
	}, SpecTimeout(30*time.Second))

	It("labels a body cut short Connection Error", func(ctx SpecContext) {
		srv := startRaw(func(_ int, w *bufio.Writer) bool {
			fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(wholeBody)+10, wholeBody)
			return false
		})
		s := wireRun(ctx, srv.url(), false, 2, nil)
		Expect(s.FailuresByLabel).To(HaveKey(loadgen.LabelConnection))
		Expect(s.FailuresByLabel[loadgen.LabelConnection].Count).To(BeEquivalentTo(2))
	}, SpecTimeout(20*time.Second))

	It("times a silent server out after the request timeout", func(ctx SpecContext) {
		srv := startRaw(func(_ int, w *bufio.Writer) bool {
			time.Sleep(2 * time.Second)
			return false
		})
		start := time.Now()
		s := wireRun(ctx, srv.url(), true, 2, func(o *loadgen.Options) { o.RequestTimeout = 300 * time.Millisecond })
		Expect(time.Since(start)).To(BeNumerically("<", 1900*time.Millisecond))
		Expect(s.FailuresByLabel).To(HaveKey(loadgen.LabelTimeout))
		Expect(s.FailuresByLabel[loadgen.LabelTimeout].Messages).To(ConsistOf("request timed out"))
	}, SpecTimeout(20*time.Second))

	It("opens no more connections than MaxTCPConnections, queueing the rest", func(ctx SpecContext) {
		srv := startRaw(func(n int, w *bufio.Writer) bool {
			time.Sleep(100 * time.Millisecond)
			return lengthReply(n, w)
		})
		o := mockOptions(srv.url())
		o.Streaming = false
		o.MaxTCPConnections = 2
		o.Load = loadgen.LoadConcurrent
		o.Stages = []loadgen.Stage{{NumRequests: 12, ConcurrencyLevel: 6}}
		res, err := loadgen.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Report.Summary.Successes).To(BeEquivalentTo(12))
		Expect(srv.maxOpen.Load()).To(BeEquivalentTo(2))
	}, SpecTimeout(20*time.Second))

	It("speaks TLS with the configured roots, and refuses an unknown certificate", func(ctx SpecContext) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, sseBody)
		}))
		DeferCleanup(srv.Close)
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		s := wireRun(ctx, srv.URL, true, 3, func(o *loadgen.Options) { o.TLSConfig = &tls.Config{RootCAs: roots} })
		Expect(s.Successes).To(BeEquivalentTo(3), "%v", s.FailuresByLabel)
		s = wireRun(ctx, srv.URL, true, 1, nil)
		Expect(s.FailuresByLabel).To(HaveKey(loadgen.LabelConnection))
		Expect(s.FailuresByLabel[loadgen.LabelConnection].Messages[0]).To(ContainSubstring("certificate"))
	}, SpecTimeout(20*time.Second))

	It("reports the answer of a server that refuses a large body before reading it", func(ctx SpecContext) {
		ln := listenLoopback(func(c net.Conn) {
			defer c.Close()
			br := bufio.NewReader(c)
			for { // the head only
				l, err := br.ReadString('\n')
				if err != nil || l == "\r\n" {
					break
				}
			}
			msg := `{"error":{"message":"request body too large","code":413}}`
			fmt.Fprintf(c, "HTTP/1.1 413 Request Entity Too Large\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
		})
		s := wireRun(ctx, "http://"+ln.Addr().String(), false, 2, func(o *loadgen.Options) {
			o.Data, o.Prompts = loadgen.DataRandom, hugePrompter{}
			o.Input = loadgen.Lengths{Kind: loadgen.LengthFixed, Min: 1, Max: 1, Mean: 1}
			o.Output = o.Input
		})
		Expect(s.FailuresByLabel).To(HaveKey("413 - other"), "%v", s.FailuresByLabel)
		Expect(s.FailuresByLabel["413 - other"].Messages).To(ConsistOf("request body too large"))
	}, SpecTimeout(20*time.Second))

	It("refuses a header that cannot be written, naming it", func(ctx SpecContext) {
		o := mockOptions("http://127.0.0.1:1")
		o.Stages = []loadgen.Stage{{Rate: 1, Duration: time.Second}}
		o.Headers = map[string]string{"X-Bad": "a\r\nInjected: yes"}
		_, err := loadgen.Run(ctx, o)
		Expect(err).To(MatchError(ContainSubstring(`server.headers "X-Bad"`)))
	})

	It("gives the same results through net/http when asked", func(ctx SpecContext) {
		srv := startRaw(func(_ int, w *bufio.Writer) bool {
			fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n%s", len(sseBody), sseBody)
			return true
		})
		for _, netHTTP := range []bool{false, true} {
			s := wireRun(ctx, srv.url(), true, 4, func(o *loadgen.Options) { o.NetHTTP = netHTTP })
			Expect(s.Successes).To(BeEquivalentTo(4), "NetHTTP=%v: %v", netHTTP, s.FailuresByLabel)
			Expect(s.OutputTokensTotal).To(BeEquivalentTo(8))
		}
	}, SpecTimeout(20*time.Second))
})

// hugePrompter makes 16 MiB prompts, more than socket buffers take unread.
type hugePrompter struct{}

func (hugePrompter) Synthetic(*rand.Rand, int) (string, error) {
	return strings.Repeat("x", 16<<20), nil
}
func (hugePrompter) Random(*rand.Rand, int) (string, error) { return strings.Repeat("x", 16<<20), nil }
