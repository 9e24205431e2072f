package scenarios_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("goodput constraints and the metric registry", func() {
	const base = "load: {stages: [{rate: 2, duration: 10}]}\nserver: {base_url: http://127.0.0.1:8000}\n"

	It("accepts a metric's key exactly when the registry lets goodput constrain it", func() {
		for _, i := range report.Metrics() {
			for _, name := range i.Names() {
				c, err := scenarios.Parse([]byte(base + fmt.Sprintf("report: {goodput: {constraints: {%q: 0.5}}}\n", name)))
				if i.Goodput && name == i.Key {
					Expect(err).NotTo(HaveOccurred(), "constraint %q", name)
					Expect(c.Report.Goodput.Constraints).To(HaveKeyWithValue(name, 0.5))
					continue
				}
				Expect(err).To(MatchError(ContainSubstring(fmt.Sprintf("report.goodput.constraints.%s: unknown metric; use ttft, itl, tpot, ntpot, request_latency", name))),
					"constraint %q: inference-perf's configuration spells goodput metrics by their short key only", name)
			}
		}
	})
})
