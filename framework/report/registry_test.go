package report_test

import (
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// filled returns a histogram of the metric's kind holding 1..n (milliseconds
// for latencies, tokens for counts).
func filled(m report.Metric, n int) *report.Histogram {
	h := report.NewHistogram(report.MetricKind(m))
	for i := 1; i <= n; i++ {
		v := float64(i)
		if report.MetricKind(m) == report.KindSeconds {
			v /= 1000
		}
		h.Record(v)
	}
	return h
}

// registryStage is a stage holding a distribution of every registered
// metric that has one and a distinct figure for every rate.
func registryStage() report.Stage {
	st := report.Stage{ID: 0, Requests: 500, Successes: 400, Failures: 100,
		PromptTokensTotal: 1000, OutputTokensTotal: 2000, Distributions: map[report.Metric]report.Distribution{}}
	for k, i := range report.Metrics() {
		if i.Quantity == report.QuantityRate {
			continue
		}
		st.Distributions[i.Metric] = filled(i.Metric, 100+k)
	}
	return st
}

var _ = Describe("the metric registry", func() {
	It("gives every metric one entry, distinct names and the entry back from Info and LookupMetric", func() {
		owner := map[string]report.Metric{}
		for _, i := range report.Metrics() {
			info := i.Metric.Info()
			Expect([]string{string(info.Metric), info.Key, info.Name}).To(Equal([]string{string(i.Metric), i.Key, i.Name}), "Info of %s", i.Metric)
			Expect(i.Key).NotTo(BeEmpty())
			Expect(i.Name).NotTo(BeEmpty())
			Expect(i.Column).NotTo(BeEmpty())
			Expect(i.Title).NotTo(BeEmpty())
			Expect(i.Unit).NotTo(BeEmpty())
			for _, n := range i.Names() {
				if other, seen := owner[n]; seen {
					Expect(other).To(Equal(i.Metric), "the name %q names two metrics", n)
				}
				owner[n] = i.Metric
				got, ok := report.LookupMetric(n)
				Expect(ok).To(BeTrue(), "LookupMetric(%q)", n)
				Expect(got.Metric).To(Equal(i.Metric), "LookupMetric(%q)", n)
			}
		}
		_, ok := report.LookupMetric("p99_ttft")
		Expect(ok).To(BeFalse())
	})

	It("hands out copies: changing a returned entry leaves the registry as it was", func() {
		i, ok := report.LookupMetric("e2e")
		Expect(ok).To(BeTrue())
		i.Aliases[0] = "p99_latency"
		report.Metrics()[0].Key = "changed"
		_, ok = report.LookupMetric("p99_latency")
		Expect(ok).To(BeFalse())
		Expect(report.RequestLatency.Info().Aliases).To(ContainElement("e2e"))
		Expect(report.Metrics()[0].Key).To(Equal("ttft"))
	})

	It("keeps the properties consistent: histogram kind from quantity, goodput and streaming only on latencies", func() {
		for _, i := range report.Metrics() {
			want := report.KindSeconds
			if i.Quantity == report.QuantityCount {
				want = report.KindTokens
			}
			Expect(report.MetricKind(i.Metric)).To(Equal(want), "%s", i.Metric)
			if i.Goodput || i.Streaming || i.SLA || i.FromSchedule {
				Expect(i.Quantity).To(Equal(report.QuantityLatency), "%s", i.Metric)
			}
			Expect(i.Quantity == report.QuantityRate).To(Equal(i.Section == report.SectionThroughput), "%s", i.Metric)
		}
		Expect(report.GoodputKeys()).To(Equal([]string{"ttft", "itl", "tpot", "ntpot", "request_latency"}),
			"inference-perf's report.goodput.constraints keys")
	})

	It("carries every entry through the lifecycle codec: written, read back with the same figures", func() {
		in := registryStage()
		rates := map[report.Metric]float64{}
		for k, i := range report.MetricsWhere(func(i report.MetricInfo) bool { return i.Quantity == report.QuantityRate }) {
			rates[i.Metric] = float64(10 + k)
		}
		in.Throughput = report.Throughput{InputTokensPerSec: rates[report.InputTokensPerSec], OutputTokensPerSec: rates[report.OutputTokensPerSec],
			TotalTokensPerSec: rates[report.TotalTokensPerSec], RequestsPerSec: rates[report.RequestsPerSec]}
		data, err := json.Marshal(report.StageJSON(in))
		Expect(err).NotTo(HaveOccurred())
		out, err := report.ParseStage(data)
		Expect(err).NotTo(HaveOccurred())
		for _, i := range report.Metrics() {
			if i.Quantity == report.QuantityRate {
				v, ok := i.Rate(out.Throughput)
				Expect(ok).To(BeTrue())
				Expect(v).To(Equal(rates[i.Metric]), "%s", i.Metric)
				continue
			}
			want := in.Distributions[i.Metric]
			got, ok := out.Distribution(i.Metric)
			Expect(ok).To(BeTrue(), "%s did not come back from the file", i.Metric)
			Expect(got.Max()).To(Equal(want.Max()), "%s max", i.Metric)
			for _, p := range report.StandardPercentiles() {
				w, _ := want.Percentile(p)
				g, err := got.Percentile(p)
				Expect(err).NotTo(HaveOccurred(), "%s p%g", i.Metric, p)
				Expect(g).To(Equal(w), "%s p%g", i.Metric, p)
			}
		}
	})

	It("writes each metric under its section and file key, and goodput attainment under the short key", func() {
		in := registryStage()
		in.Goodput = &report.Goodput{Attainment: map[report.Metric]float64{}}
		for k, i := range report.MetricsWhere(func(i report.MetricInfo) bool { return i.Goodput }) {
			in.Goodput.Attainment[i.Metric] = float64(50 + k)
		}
		data, err := json.Marshal(report.StageJSON(in))
		Expect(err).NotTo(HaveOccurred())
		var root map[string]any
		Expect(json.Unmarshal(data, &root)).To(Succeed())
		for _, i := range report.Metrics() {
			if i.Section == "" {
				continue
			}
			block := root
			for _, part := range strings.Split(i.Section, ".") {
				block = block[part].(map[string]any)
			}
			Expect(block).To(HaveKey(i.FileKey()), "%s in %s", i.Metric, i.Section)
		}
		gm := root["successes"].(map[string]any)["goodput_metrics"].(map[string]any)
		out, err := report.ParseStage(data)
		Expect(err).NotTo(HaveOccurred())
		for m, v := range in.Goodput.Attainment {
			Expect(gm).To(HaveKeyWithValue(m.Info().Key+"_attainment_percentage", v))
			Expect(out.Goodput.Attainment).To(HaveKeyWithValue(m, v))
		}
	})

	It("reads a goodput block spelled with aliases (e2e, latency) as the registry's metrics", func() {
		st, err := report.ParseStage([]byte(`{"successes": {"count": 2, "goodput_metrics": {
			"e2e_attainment_percentage": 90, "ntpot_attainment_percentage": 80,
			"constraints": {"latency": 2.5, "time_to_first_token": 0.5}}}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Goodput.Attainment).To(Equal(map[report.Metric]float64{report.RequestLatency: 90, report.NTPOT: 80}))
		Expect(st.Goodput.Constraints).To(Equal(map[report.Metric]float64{report.RequestLatency: 2.5, report.TTFT: 0.5}))
	})

	It("accepts as goodput constraints exactly the registry's goodput keys", func() {
		for _, i := range report.Metrics() {
			m, ok := report.GoodputMetric(i.Key)
			Expect(ok).To(Equal(i.Goodput), "%s", i.Key)
			if ok {
				Expect(m).To(Equal(i.Metric))
			}
		}
		_, ok := report.GoodputMetric("e2e")
		Expect(ok).To(BeFalse(), "inference-perf's configuration knows no alias")
	})
})
