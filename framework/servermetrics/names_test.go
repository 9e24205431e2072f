package servermetrics_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/servermetrics"
)

// v0Exposition is a vLLM v0 engine's /metrics as Python's client writes it:
// counters typed without _total, v0 names for KV usage and the per-token
// gap, two replicas (engine labels) in one exposition.
func v0Exposition(preempted, requests, ttftFast, ttftSlow int) string {
	s := "# TYPE vllm:num_requests_running gauge\n" +
		"vllm:num_requests_running{engine=\"0\"} 3.0\nvllm:num_requests_running{engine=\"1\"} 5.0\n" +
		"# TYPE vllm:num_requests_waiting gauge\n" +
		"vllm:num_requests_waiting{engine=\"0\"} 2.0\nvllm:num_requests_waiting{engine=\"1\"} 7.0\n" +
		"# TYPE vllm:gpu_cache_usage_perc gauge\n" +
		"vllm:gpu_cache_usage_perc{engine=\"0\"} 0.25\nvllm:gpu_cache_usage_perc{engine=\"1\"} 0.75\n" +
		"# TYPE vllm:num_preemptions counter\n" +
		fmt.Sprintf("vllm:num_preemptions_total{engine=\"0\"} %d.0\nvllm:num_preemptions_total{engine=\"1\"} 1.0\n", preempted) +
		"# TYPE vllm:request_success counter\n" +
		fmt.Sprintf("vllm:request_success_total{engine=\"0\",finished_reason=\"stop\"} %d.0\n", requests) +
		"# TYPE vllm:time_per_output_token_seconds histogram\n"
	for _, e := range []string{"0", "1"} {
		s += fmt.Sprintf("vllm:time_per_output_token_seconds_bucket{engine=%q,le=\"0.01\"} 0.0\n", e) +
			fmt.Sprintf("vllm:time_per_output_token_seconds_bucket{engine=%q,le=\"0.025\"} %d.0\n", e, ttftFast) +
			fmt.Sprintf("vllm:time_per_output_token_seconds_bucket{engine=%q,le=\"0.05\"} %d.0\n", e, ttftFast+ttftSlow) +
			fmt.Sprintf("vllm:time_per_output_token_seconds_bucket{engine=%q,le=\"+Inf\"} %d.0\n", e, ttftFast+ttftSlow) +
			fmt.Sprintf("vllm:time_per_output_token_seconds_count{engine=%q} %d.0\n", e, ttftFast+ttftSlow) +
			fmt.Sprintf("vllm:time_per_output_token_seconds_sum{engine=%q} %g\n", e, 0.02*float64(ttftFast)+0.04*float64(ttftSlow))
	}
	return s
}

var _ = Describe("vLLM's metric names across releases", func() {
	It("reads a v0 engine's names and Python's counter typing, summed over two replicas", func(ctx SpecContext) {
		var phase atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if phase.Load() == 0 {
				fmt.Fprint(w, v0Exposition(0, 0, 0, 0))
				return
			}
			fmt.Fprint(w, v0Exposition(4, 30, 90, 10))
		}))
		DeferCleanup(srv.Close)
		sc, err := servermetrics.Start(ctx, servermetrics.Target{URL: srv.URL, Interval: 50 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		from := time.Now()
		phase.Store(1)
		time.Sleep(200 * time.Millisecond)
		sc.Stop(ctx)
		m := sc.Window(from, time.Now())
		Expect(m).NotTo(BeNil())
		Expect(m.Series).To(Equal(2))
		Expect(stat(m, report.ServerWaiting, "max")).To(Equal(9.0))
		Expect(stat(m, report.ServerRunning, "max")).To(Equal(8.0))
		Expect(stat(m, report.ServerKVCacheUsage, "max")).To(Equal(0.75))
		Expect(stat(m, report.ServerPreemptions, "total")).To(Equal(4.0)) // engine 0 went 0 -> 4, engine 1 stayed at 1
		Expect(stat(m, report.ServerRequestCount, "")).To(Equal(30.0))
		Expect(stat(m, report.ServerITL, "count")).To(Equal(200.0))
		// 180 of 200 gaps in (10, 25] ms: the median interpolates to 10 + 15·100/180 ms.
		Expect(stat(m, report.ServerITL, "median")).To(BeNumerically("~", 0.010+0.015*100/180, 1e-12))
		Expect(stat(m, report.ServerITL, "p99")).To(BeNumerically("~", 0.025+0.025*18/20, 1e-12))
	})

	It("finds the worst interval and the server's state in it", func(ctx SpecContext) {
		// Calm (fast first tokens, nothing waiting), then a burst (slow first tokens, 40 waiting), then calm.
		var fast, slow, waiting atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, sl := fast.Load(), slow.Load()
			fmt.Fprintf(w, "# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting %d\n", waiting.Load())
			fmt.Fprintf(w, "# TYPE vllm:time_to_first_token_seconds histogram\n"+
				"vllm:time_to_first_token_seconds_bucket{le=\"0.1\"} %d\nvllm:time_to_first_token_seconds_bucket{le=\"5.0\"} %d\n"+
				"vllm:time_to_first_token_seconds_bucket{le=\"+Inf\"} %d\nvllm:time_to_first_token_seconds_count %d\n"+
				"vllm:time_to_first_token_seconds_sum %g\n", f, f+sl, f+sl, f+sl, 0.05*float64(f)+4*float64(sl))
		}))
		DeferCleanup(srv.Close)
		sc, err := servermetrics.Start(ctx, servermetrics.Target{URL: srv.URL, Interval: 20 * time.Millisecond, WorstWidth: 200 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		from := time.Now()
		phase := func(d time.Duration, f, s, wait int64) {
			waiting.Store(wait)
			for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
				fast.Add(f)
				slow.Add(s)
			}
		}
		phase(time.Second, 5, 0, 0)
		burstAt := time.Since(from)
		phase(300*time.Millisecond, 0, 5, 40)
		phase(time.Second, 5, 0, 0)
		sc.Stop(ctx)
		m := sc.Window(from, time.Now())
		Expect(m.Worst).NotTo(BeNil())
		Expect(m.Worst.Offset).To(BeNumerically("~", burstAt, 200*time.Millisecond))
		Expect(stat(m.Worst.Metrics, report.ServerTTFT, "p99")).To(BeNumerically(">", 0.1))
		Expect(stat(m.Worst.Metrics, report.ServerWaiting, "max")).To(Equal(40.0))
		Expect(report.Stage{ID: -1, Server: m}.ServerWorst()).To(MatchRegexp(`^worst 200ms at t=[\d.]+s \(server\): TTFT p99 ≈ [\d.]+ms, up to 40 waiting`))
	})

	It("refuses a /metrics without vLLM's scheduler families", func(ctx SpecContext) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "# TYPE sglang:num_running_reqs gauge\nsglang:num_running_reqs 1\n")
		}))
		DeferCleanup(srv.Close)
		_, err := servermetrics.Start(ctx, servermetrics.Target{URL: srv.URL})
		Expect(err).To(MatchError(servermetrics.ErrNotVLLM))
	})
})
