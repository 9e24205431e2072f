package matchers_test

import (
	"fmt"
	"time"

	"github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

// An assertion on stage 3 of a real inference-perf sweep against vLLM: P99
// TTFT is 181.8 ms, so a 150 ms promise fails with the measured value, the
// margin, the sample count and the neighbouring percentiles.
func ExampleHaveP99TTFTBelow() {
	r, err := report.ReadDir("../fixtures/reports/vllm-v0.11-llama3-8b-h100")
	if err != nil {
		fmt.Println(err)
		return
	}
	g := gomega.NewGomega(func(message string, _ ...int) { fmt.Println(message) })

	g.Expect(r.Stages[3]).To(matchers.HaveP99TTFTBelow(200 * time.Millisecond)) // passes
	g.Expect(r.Stages[3]).To(matchers.HaveP99TTFTBelow(150 * time.Millisecond))
	// Output:
	// stage 3 time_to_first_token p99 = 181.8ms, want < 150ms (over by 31.83ms, +21.2%); n=5531; p95=80.24ms p99.9=226.8ms; no confidence interval (report-file data)
}

// A matcher refuses to judge when the evidence is missing: here stage 0 has 60
// requests, far fewer than the 1,000 a P99 needs.
func ExampleHaveP99TTFTBelow_refusal() {
	r, err := report.ReadDir("../fixtures/reports/vllm-v0.11-llama3-8b-h100")
	if err != nil {
		fmt.Println(err)
		return
	}
	g := gomega.NewGomega(func(message string, _ ...int) { fmt.Println(message) })
	g.Expect(r.Stages[0]).To(matchers.HaveP99TTFTBelow(time.Second))
	// Output:
	// time_to_first_token p99: too few samples: n=60, need >= 1000 so that 10 lie above the percentile
}

// Each line of an SLA file is its own promise with a stable name; suites turn
// each into a spec.
func ExampleSLA_Promises() {
	sla, err := matchers.ParseSLA([]byte(`
latency:
  ttft: {p50: 300ms, p99: 1200ms}
  itl: {p99: 50ms}
error_rate: 1%
`), "sla.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range sla.Promises() {
		fmt.Println(p.Name)
	}
	// Output:
	// load delivered
	// TTFT p50 < 300ms
	// TTFT p99 < 1.2s
	// ITL p99 < 50ms
	// error rate < 1%
}

// The zero SLA stands for "no SLA file": its promises are the implied ones,
// so a run whose requests fail never passes for want of a promise about errors.
func ExampleSLA_Promises_noSLAFile() {
	for _, p := range (matchers.SLA{}).Promises() {
		fmt.Println(p.Implied, p.Name)
	}
	// Output:
	// true load delivered
	// true error rate < 1% (implied: the SLA sets none)
}
