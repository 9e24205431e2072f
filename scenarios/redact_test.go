package scenarios_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/scenarios"
)

// unparsableTargets are URLs with a password that net/url refuses; its error
// quotes each one whole.
var unparsableTargets = []TableEntry{
	Entry("a port that is not a number", "http://user:pw123@127.0.0.1:abc"),
	Entry("a bad escape in the path", "http://user:pw123@127.0.0.1:8000/%zz"),
	Entry("an unclosed IPv6 bracket", "http://user:pw123@[::1"),
	Entry("a space in the user info", "http://us er:pw123@127.0.0.1:8000"),
}

var _ = Describe("a password in a URL that does not parse", func() {
	DescribeTable("is removed from the URL parser's own error",
		func(raw string) {
			_, perr := url.Parse(raw + "/v1/models")
			Expect(perr).To(MatchError(ContainSubstring("pw123")), "the parser quotes the URL")
			err := scenarios.RedactError(fmt.Errorf("target: %w", perr), raw)
			Expect(err.Error()).NotTo(ContainSubstring("pw123"))
			Expect(err.Error()).To(ContainSubstring(scenarios.Redacted))
		},
		unparsableTargets,
	)

	DescribeTable("is not in the validation error of server.base_url or metrics.prometheus.url",
		func(raw string) {
			c := scenarios.Production()
			c.Server.BaseURL = raw
			err := c.Validate()
			Expect(err).To(MatchError(ContainSubstring("server.base_url")))
			Expect(err.Error()).NotTo(ContainSubstring("pw123"))

			c = scenarios.Production()
			c.Metrics = &scenarios.MetricsConfig{Type: "prometheus", Prometheus: &scenarios.PrometheusConfig{URL: raw, ScrapeInterval: 15}}
			err = c.Validate()
			Expect(err).To(MatchError(ContainSubstring("metrics.prometheus.url")))
			Expect(err.Error()).NotTo(ContainSubstring("pw123"))
		},
		unparsableTargets,
	)

	It("is removed in every form an error may print it, and errors.Is still sees the cause", func() {
		raw := `http://user:p"w 12@host:abc`
		msg := fmt.Errorf("a %q b %s c %s: %w", raw, raw, url.UserPassword("user", `p"w 12`).String(), context.Canceled)
		err := scenarios.RedactError(msg, raw)
		Expect(err.Error()).NotTo(Or(ContainSubstring(`p"w 12`), ContainSubstring(`p\"w 12`), ContainSubstring("p%22w%2012")))
		Expect(errors.Is(err, context.Canceled)).To(BeTrue())
		Expect(errors.Unwrap(err)).To(BeNil(), "the unredacted error is not reachable")
		Expect(scenarios.RedactText("dial https://bot:tok3n@10.0.0.1:443: refused")).To(Equal("dial https://bot:" + scenarios.Redacted + "@10.0.0.1:443: refused"))
		Expect(scenarios.RedactError(nil)).To(Succeed())
	})
})
