package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var _ = Describe("tailgate mock-vllm", func() {
	It("serves the simulated vLLM until the context ends", func(ctx SpecContext) {
		port := freePort()
		runCtx, stop := context.WithCancel(ctx)
		var out, errOut syncBuffer
		code := make(chan int, 1)
		go func() {
			code <- dispatch(runCtx, []string{"mock-vllm", "--port", strconv.Itoa(port), "--profile", "fixed", "--ttft", "5ms", "--itl", "1ms"},
				stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
		}()
		Eventually(out.String).Should(ContainSubstring("serving qwen3-8b (profile fixed)"))
		url := "http://127.0.0.1:" + strconv.Itoa(port)
		resp, err := http.Post(url+"/v1/completions", "application/json",
			strings.NewReader(`{"model":"qwen3-8b","prompt":"hi","max_tokens":3,"ignore_eos":true,"stream":true}`))
		Expect(err).NotTo(HaveOccurred())
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		Expect(regexp.MustCompile(`"text":"`).FindAll(body, -1)).To(HaveLen(3))
		Expect(string(body)).To(HaveSuffix("data: [DONE]\n\n"))
		stop()
		Eventually(code).WithTimeout(5 * time.Second).Should(Receive(Equal(0)))
	})

	It("turns the fitted timing noise on for the fixed profile with --jitter", func(ctx SpecContext) {
		port := freePort()
		runCtx, stop := context.WithCancel(ctx)
		var out, errOut syncBuffer
		code := make(chan int, 1)
		go func() {
			code <- dispatch(runCtx, []string{"mock-vllm", "--port", strconv.Itoa(port), "--profile", "fixed", "--jitter"},
				stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
		}()
		Eventually(out.String).Should(ContainSubstring("serving qwen3-8b (profile fixed, timing noise on)"))
		stop()
		Eventually(code).WithTimeout(5 * time.Second).Should(Receive(Equal(0)))
	})

	DescribeTable("rejects bad flags with exit status 2 and a message naming the flag",
		func(args []string, want string) {
			var out, errOut bytes.Buffer
			code := dispatch(context.Background(), append([]string{"mock-vllm"}, args...), stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
			Expect(code).NotTo(BeZero())
			Expect(errOut.String()).To(ContainSubstring(want))
		},
		Entry("unknown profile", []string{"--profile", "a100"}, `unknown profile "a100"`),
		Entry("port out of range", []string{"--port", "70000"}, "--port 70000"),
		Entry("ttft with a batching profile", []string{"--profile", "qwen3-8b-h100", "--ttft", "1s"}, "--profile fixed only"),
		Entry("fault rate over 1", []string{"--fault-error-rate", "2"}, "ErrorRate"),
		Entry("stray argument", []string{"extra"}, `unexpected argument "extra"`),
		Entry("jitter not a boolean", []string{"--jitter=sometimes"}, `-jitter`),
	)
})

var _ = Describe("tailgate calibrate", func() {
	It("prints the stage-by-stage comparison with the real H100 run and passes the bars", func() {
		var out, errOut bytes.Buffer
		code := dispatch(context.Background(), []string{"calibrate", "--report", "../../framework/calibration/testdata/vllm-v0.11-llama3-8b-h100"},
			stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
		Expect(code).To(Equal(0), errOut.String())
		Expect(out.String()).To(MatchRegexp(`\| 3 \| 92\.2 \| 92\.2 \| 92\.2 \| 44\.5ms \|`))
		// The tail table: real TTFT p90 and p99 and the recovered chunk-gap p50 of stage 3.
		Expect(out.String()).To(ContainSubstring("| TTFT p90 real | TTFT p90 sim | TTFT p99 real | TTFT p99 sim | gap p50 real |"))
		Expect(out.String()).To(MatchRegexp(`\| 3 \| 64\.4ms \| [0-9.]+ms \([-+][0-9]+%\) \| 181\.8ms \|`))
		Expect(out.String()).To(ContainSubstring("verdict: calibrated"))
	})

	It("says MISS and exits 1 when a profile misses a bar", func() {
		var out, errOut bytes.Buffer
		code := dispatch(context.Background(), []string{"calibrate", "--profile", "qwen3-8b-h100", "--report", "../../framework/calibration/testdata/vllm-v0.11-llama3-8b-h100"},
			stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
		Expect(code).To(Equal(1))
		Expect(out.String()).To(ContainSubstring("verdict: NOT calibrated"))
		Expect(out.String()).To(MatchRegexp(`- MISS stage \d .*bar ±\d+%`))
	})

	It("needs --report and refuses the fixed profile", func() {
		var out, errOut bytes.Buffer
		Expect(dispatch(context.Background(), []string{"calibrate"}, stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})).To(Equal(2))
		Expect(errOut.String()).To(ContainSubstring("--report is required"))
		errOut.Reset()
		Expect(dispatch(context.Background(), []string{"calibrate", "--report", ".", "--profile", "fixed"}, stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})).To(Equal(2))
		Expect(errOut.String()).To(ContainSubstring("no batching model"))
		errOut.Reset()
		Expect(dispatch(context.Background(), []string{"calibrate", "--report", ".", "--fit", "--fit-rounds", "0"}, stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})).To(Equal(2))
		Expect(errOut.String()).To(ContainSubstring("--fit-rounds"))
	})
})
