package matchers_test

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	. "github.com/tailgate-dev/tailgate/matchers"
)

var _ = Describe("SLA files and the metric registry", func() {
	It("accept every name of every metric the registry lets an SLA bound, as that metric", func() {
		for _, i := range report.MetricsWhere(func(i report.MetricInfo) bool { return i.SLA }) {
			for _, name := range i.Names() {
				sla, err := ParseSLA([]byte(fmt.Sprintf("latency:\n  %s: {p99: 1s}\n", name)), "sla.yaml")
				Expect(err).NotTo(HaveOccurred(), "latency key %q", name)
				Expect(sla.Latency).To(HaveLen(1))
				Expect(sla.Latency[0].Metric).To(Equal(i.Metric), "latency key %q", name)
				Expect(sla.Promises()[len(sla.Promises())-1].Name).To(Equal(i.Name+" p99 < 1s"), "the promise is named by the registry's display name")
			}
		}
	})

	It("refuse every other registered metric, listing the keys an SLA may use", func() {
		keys := report.MetricKeys(func(i report.MetricInfo) bool { return i.SLA })
		Expect(keys).To(ContainElements("ttft", "itl", "tpot", "ntpot", "request_latency"))
		for _, i := range report.MetricsWhere(func(i report.MetricInfo) bool { return !i.SLA }) {
			_, err := ParseSLA([]byte(fmt.Sprintf("latency:\n  %s: {p99: 1s}\n", i.Key)), "sla.yaml")
			Expect(err).To(MatchError(ContainSubstring(fmt.Sprintf(`unknown metric %q; known: %s`, i.Key, strings.Join(keys, ", ")))), "latency key %q", i.Key)
		}
	})

	It("count failed requests in a metric's tail exactly when the registry says so", func() {
		for _, i := range report.MetricsWhere(func(i report.MetricInfo) bool { return i.SLA }) {
			samples := make([]float64, 2000)
			for k := range samples {
				samples[k] = 0.001 // every success far under the threshold
			}
			st := withFailures(histStage(i.Metric, samples), 100) // ~5% failed: P99 falls on a failure
			ok, err := HavePercentileBelow(i.Metric, 99, 1).WithLoadBounds(looseBounds()).Match(st)
			Expect(err).NotTo(HaveOccurred(), "%s", i.Metric)
			Expect(ok).To(Equal(!i.FailuresInTail), "%s: P99 below 1s with 5%% of the requests failed", i.Metric)
		}
	})

	It("accept every rate metric as a throughput bound and refuse the rest", func() {
		for _, i := range report.Metrics() {
			_, err := ParseSLA([]byte(fmt.Sprintf("throughput:\n  %s: 1\n", i.Key)), "sla.yaml")
			if i.Quantity == report.QuantityRate {
				Expect(err).NotTo(HaveOccurred(), "throughput key %q", i.Key)
			} else {
				Expect(err).To(MatchError(ContainSubstring("unknown throughput figure")), "throughput key %q", i.Key)
			}
		}
	})

	It("judge a throughput bound on the figure the registry names", func() {
		for _, i := range report.MetricsWhere(func(i report.MetricInfo) bool { return i.Quantity == report.QuantityRate }) {
			var tp report.Throughput
			for _, j := range report.MetricsWhere(func(j report.MetricInfo) bool { return j.Quantity == report.QuantityRate }) {
				if j.Metric != i.Metric {
					setRate(&tp, j.Metric, 1) // every other figure far below the bound
				}
			}
			setRate(&tp, i.Metric, 100)
			st := histStage(report.TTFT, uniformSamples(2000, 10))
			st.Throughput = tp
			Expect(HaveThroughputAbove(ThroughputMetric(i.Key), 50).WithLoadBounds(looseBounds()).Match(st)).To(BeTrue(), "%s", i.Key)
			setRate(&st.Throughput, i.Metric, 10)
			Expect(HaveThroughputAbove(ThroughputMetric(i.Key), 50).WithLoadBounds(looseBounds()).Match(st)).To(BeFalse(), "%s", i.Key)
		}
	})
})

func setRate(tp *report.Throughput, m report.Metric, v float64) {
	switch m {
	case report.InputTokensPerSec:
		tp.InputTokensPerSec = v
	case report.OutputTokensPerSec:
		tp.OutputTokensPerSec = v
	case report.TotalTokensPerSec:
		tp.TotalTokensPerSec = v
	case report.RequestsPerSec:
		tp.RequestsPerSec = v
	default:
		Fail("not a rate: " + string(m))
	}
}
