package loadgen_test

import (
	"net/http"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
)

// jsonServer answers every request 200 with body as application/json.
func jsonServer(body string) string {
	GinkgoHelper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	DeferCleanup(srv.Close)
	return srv.URL
}

var _ = Describe("a 200 answer that is an error object", func() {
	for _, tc := range []struct{ name, body, want string }{
		{"OpenAI's shape", `{"error":{"message":"CUDA out of memory","type":"InternalServerError","code":500}}`, "CUDA out of memory (code 500)"},
		{"vLLM's shape", "{\n  \"object\": \"error\",\n  \"message\": \"maximum context length is 4096\",\n  \"type\": \"BadRequestError\",\n  \"code\": 400\n}", "maximum context length is 4096 (code 400)"},
	} {
		It("is labelled with the server's message, streamed or not: "+tc.name, func(ctx SpecContext) {
			url := jsonServer(tc.body)
			for _, stream := range []bool{true, false} {
				s := wireRun(ctx, url, stream, 3, nil)
				Expect(s.FailuresByLabel).To(HaveLen(1), "stream=%v: %v", stream, s.FailuresByLabel)
				Expect(s.FailuresByLabel).To(HaveKey(loadgen.LabelErrorObject))
				Expect(s.FailuresByLabel[loadgen.LabelErrorObject].Messages).To(ConsistOf(tc.want))
			}
		}, SpecTimeout(20*time.Second))
	}

	It("tells a server that ignored stream: true from a broken connection", func(ctx SpecContext) {
		s := wireRun(ctx, jsonServer(wholeBody), true, 2, nil)
		Expect(s.FailuresByLabel).To(HaveKey(loadgen.LabelInvalidResponse))
		Expect(s.FailuresByLabel[loadgen.LabelInvalidResponse].Messages[0]).To(ContainSubstring("not server-sent events"))
	}, SpecTimeout(20*time.Second))
})
