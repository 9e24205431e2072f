package loadgen_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

// sseResponse is a complete streamed answer of 30 one-token chunks with usage.
func sseResponse() string {
	body := ""
	for range 30 {
		body += "data: {\"choices\":[{\"text\":\"t\"}]}\n\n"
	}
	body += "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":30}}\n\ndata: [DONE]\n\n"
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// misbehaving answers every request after a pause with a complete, correct
// response, then writes extra bytes on the same connection: right behind
// the response (same write) or, with later > 0, after that long. It counts
// connections.
func misbehaving(pause, later time.Duration, extra string) (url string, conns *atomic.Int64) {
	GinkgoHelper()
	srv := startRaw(func(_ int, w *bufio.Writer) bool {
		time.Sleep(pause)
		w.WriteString(sseResponse())
		if later > 0 {
			if w.Flush() != nil {
				return false
			}
			time.Sleep(later)
		}
		w.WriteString(extra)
		return true
	})
	return srv.url(), &srv.conns
}

var _ = Describe("the engine's HTTP/1.1 client reusing connections", func() {
	const pause = 300 * time.Millisecond
	// A forged answer: were it read as the next request's response, that
	// request would "succeed" with a TTFT of a fraction of a millisecond.
	forged := sseResponse()

	run := func(ctx SpecContext, url string, n int) report.Stage {
		GinkgoHelper()
		o := mockOptions(url)
		o.Load = loadgen.LoadUniform
		o.Workers, o.WorkerMaxConcurrency, o.MaxTCPConnections = 1, 1, 1
		o.Stages = []loadgen.Stage{{Rate: 2, Duration: time.Duration(n) * 500 * time.Millisecond, NumRequests: n}}
		o.LeadIn = -1
		res, err := loadgen.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		return res.Report.Summary
	}

	It("drops a connection holding an unsolicited response behind the answer, so no request reads another's bytes", func(ctx SpecContext) {
		url, conns := misbehaving(pause, 0, forged)
		s := run(ctx, url, 4)
		Expect(s.Successes).To(BeEquivalentTo(4), "%v", s.FailuresByLabel)
		d, _ := s.Distribution(report.TTFT)
		Expect(d.Min()).To(BeNumerically(">=", pause.Seconds()), "a TTFT below the server's pause was read from forged bytes")
		Expect(conns.Load()).To(BeEquivalentTo(4), "each tainted connection is closed, not reused")
	}, SpecTimeout(30*time.Second))

	It("drops an idle connection on which an unsolicited response arrived later", func(ctx SpecContext) {
		url, conns := misbehaving(pause, 30*time.Millisecond, forged)
		s := run(ctx, url, 4)
		Expect(s.Successes).To(BeEquivalentTo(4), "%v", s.FailuresByLabel)
		d, _ := s.Distribution(report.TTFT)
		Expect(d.Min()).To(BeNumerically(">=", pause.Seconds()))
		Expect(conns.Load()).To(BeEquivalentTo(4))
	}, SpecTimeout(30*time.Second))

	It("tolerates a stray CRLF after a response, as net/http does, whether it comes at once or later", func(ctx SpecContext) {
		for _, later := range []time.Duration{0, 30 * time.Millisecond} {
			url, _ := misbehaving(10*time.Millisecond, later, "\r\n")
			s := run(ctx, url, 4)
			Expect(s.Successes).To(BeEquivalentTo(4), "later=%s: %v", later, s.FailuresByLabel)
			Expect(s.FailuresByLabel).NotTo(HaveKey(loadgen.LabelInvalidResponse))
		}
	}, SpecTimeout(30*time.Second))

	It("skips empty lines in front of a status line", func(ctx SpecContext) {
		srv := startRaw(func(n int, w *bufio.Writer) bool {
			w.WriteString("\r\n\r\n")
			return lengthReply(n, w)
		})
		s := wireRun(ctx, srv.url(), false, 3, nil)
		Expect(s.Successes).To(BeEquivalentTo(3), "%v", s.FailuresByLabel)
	}, SpecTimeout(20*time.Second))

	It("still reuses a connection whose responses end exactly", func(ctx SpecContext) {
		url, conns := misbehaving(10*time.Millisecond, 0, "")
		s := run(ctx, url, 4)
		Expect(s.Successes).To(BeEquivalentTo(4), "%v", s.FailuresByLabel)
		Expect(conns.Load()).To(BeEquivalentTo(1))
	}, SpecTimeout(30*time.Second))

	It("reuses a TLS connection whose responses end exactly", func(ctx SpecContext) {
		var conns atomic.Int64
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, sseBody)
		}))
		srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
		srv.StartTLS()
		DeferCleanup(srv.Close)
		roots := x509.NewCertPool()
		roots.AddCert(srv.Certificate())
		s := wireRun(ctx, srv.URL, true, 4, func(o *loadgen.Options) {
			o.TLSConfig = &tls.Config{RootCAs: roots}
			o.Workers, o.WorkerMaxConcurrency = 1, 1
		})
		Expect(s.Successes).To(BeEquivalentTo(4), "%v", s.FailuresByLabel)
		Expect(conns.Load()).To(BeEquivalentTo(1))
	}, SpecTimeout(20*time.Second))
})
