package loadgen_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

// fixedLengthServer answers every request, whatever its max_tokens, with
// chunks content chunks (streamed) or one text (whole), and usage claiming
// usage completion tokens (none when usage < 0).
func fixedLengthServer(chunks, usage int) string {
	GinkgoHelper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		u := ""
		if usage >= 0 {
			u = fmt.Sprintf(`,"usage":{"prompt_tokens":4,"completion_tokens":%d}`, usage)
		}
		if !bytes.Contains(mustRead(r), []byte(`"stream":true`)) {
			text := ""
			for range chunks {
				text += "t "
			}
			fmt.Fprintf(&b, `{"choices":[{"text":%q}]%s}`, text, u)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b.Bytes())
			return
		}
		for range chunks {
			b.WriteString("data: {\"choices\":[{\"text\":\"t\"}]}\n\n")
		}
		if usage >= 0 {
			fmt.Fprintf(&b, "data: {\"choices\":[]%s}\n\n", u)
		}
		b.WriteString("data: [DONE]\n\n")
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(b.Bytes())
	}))
	DeferCleanup(srv.Close)
	return srv.URL
}

func mustRead(r *http.Request) []byte {
	var b bytes.Buffer
	_, _ = b.ReadFrom(r.Body)
	return b.Bytes()
}

var _ = Describe("the output-length check", func() {
	const n = 10 // mock data asks for max_tokens 30
	run := func(ctx SpecContext, url string, edit func(*loadgen.Options)) report.Stage {
		GinkgoHelper()
		return wireRun(ctx, url, true, n, func(o *loadgen.Options) {
			o.IgnoreEOS = true
			if edit != nil {
				edit(o)
			}
		})
	}

	It("fails every answer shorter than max_tokens under ignore_eos, and reports requested against received", func(ctx SpecContext) {
		s := run(ctx, fixedLengthServer(5, 5), nil)
		Expect(s.Successes).To(BeZero())
		Expect(s.FailuresByLabel).To(HaveKey(loadgen.LabelOutputLength))
		Expect(s.FailuresByLabel[loadgen.LabelOutputLength].Count).To(BeEquivalentTo(n))
		Expect(s.FailuresByLabel[loadgen.LabelOutputLength].Messages[0]).To(ContainSubstring("ignore_eos asked for exactly 30 output tokens, received 5"))
		Expect(*s.OutputLength).To(Equal(report.OutputLength{ExactRequired: true, Answered: n, Requested: 30 * n, Received: 5 * n, Short: n}))
	}, SpecTimeout(20*time.Second))

	It("counts streamed chunks as tokens when the server sends no usage", func(ctx SpecContext) {
		s := run(ctx, fixedLengthServer(5, -1), nil)
		Expect(s.FailuresByLabel[loadgen.LabelOutputLength].Count).To(BeEquivalentTo(n))
		Expect(s.FailuresByLabel[loadgen.LabelOutputLength].Messages[0]).To(ContainSubstring("5 content chunks, no usage"))
	}, SpecTimeout(20*time.Second))

	It("accepts shorter answers without ignore_eos, and still reports the lengths", func(ctx SpecContext) {
		s := run(ctx, fixedLengthServer(5, 5), func(o *loadgen.Options) { o.IgnoreEOS = false })
		Expect(s.Successes).To(BeEquivalentTo(n), "%v", s.FailuresByLabel)
		Expect(*s.OutputLength).To(Equal(report.OutputLength{Answered: n, Requested: 30 * n, Received: 5 * n}))
	}, SpecTimeout(20*time.Second))

	It("fails a 200 without a single output token, with or without ignore_eos, streamed or not", func(ctx SpecContext) {
		for _, ignoreEOS := range []bool{true, false} {
			for _, stream := range []bool{true, false} {
				s := run(ctx, fixedLengthServer(0, 0), func(o *loadgen.Options) { o.IgnoreEOS, o.Streaming = ignoreEOS, stream })
				Expect(s.Successes).To(BeZero(), "ignore_eos=%v stream=%v", ignoreEOS, stream)
				Expect(s.FailuresByLabel).To(HaveKey(loadgen.LabelEmptyOutput))
				Expect(s.FailuresByLabel[loadgen.LabelEmptyOutput].Count).To(BeEquivalentTo(n))
				Expect(s.OutputLength.Empty).To(BeEquivalentTo(n))
				_, ok := s.Distribution(report.RequestLatency)
				Expect(ok).To(BeFalse(), "an empty answer gives no success latency")
			}
		}
	}, SpecTimeout(30*time.Second))

	It("fails an answer longer than max_tokens", func(ctx SpecContext) {
		s := run(ctx, fixedLengthServer(40, 40), func(o *loadgen.Options) { o.IgnoreEOS = false })
		Expect(s.FailuresByLabel[loadgen.LabelOutputLength].Count).To(BeEquivalentTo(n))
		Expect(s.OutputLength.Long).To(BeEquivalentTo(n))
	}, SpecTimeout(20*time.Second))

	It("counts and reports usage that disagrees with the chunks received; token metrics use usage", func(ctx SpecContext) {
		s := run(ctx, fixedLengthServer(5, 30), nil)
		Expect(s.Successes).To(BeEquivalentTo(n), "%v", s.FailuresByLabel)
		Expect(s.TokenCountMismatches).To(BeEquivalentTo(n))
		Expect(s.OutputTokensTotal).To(BeEquivalentTo(30 * n))
		var b bytes.Buffer
		Expect((&report.Report{Summary: s}).WriteText(&b)).To(Succeed())
		Expect(b.String()).To(ContainSubstring(fmt.Sprintf("%d streamed answers whose content chunks disagree with usage.completion_tokens (token metrics use usage)", n)))
	}, SpecTimeout(20*time.Second))
})
