package framework_test

import (
	"flag"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/format"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// The password of a target URL that does not parse never reaches an error,
// through any entry point: the URL parser's own error quotes the URL whole.
var _ = Describe("a target URL that does not parse", func() {
	targets := []TableEntry{
		Entry("a port that is not a number", "http://user:pw123@127.0.0.1:abc", "invalid port"),
		Entry("a bad escape in the path", "http://user:pw123@127.0.0.1:8000/%zz", "invalid URL escape"),
		Entry("an unclosed IPv6 bracket", "http://user:pw123@[::1", "missing ']'"),
		Entry("a space in the user info", "http://us er:pw123@127.0.0.1:8000", "invalid userinfo"),
	}

	DescribeTable("is refused by the settings, from the environment and from flags, without its password",
		func(raw, why string) {
			_, err := framework.SettingsFromEnv(env(framework.EnvTargetURL, raw))
			Expect(err).To(MatchError(And(ContainSubstring(framework.EnvTargetURL), ContainSubstring(why))))
			Expect(err.Error()).NotTo(ContainSubstring("pw123"))

			fs := flag.NewFlagSet("suite", flag.ContinueOnError)
			f := framework.RegisterFlags(fs)
			Expect(fs.Parse([]string{"-tailgate.target-url", raw})).To(Succeed())
			_, err = f.Settings()
			Expect(err).To(MatchError(ContainSubstring("-tailgate.target-url")))
			Expect(err.Error()).NotTo(ContainSubstring("pw123"))
		},
		targets,
	)

	DescribeTable("is refused by the preflight check without its password",
		func(ctx SpecContext, raw, why string) {
			_, err := framework.Preflight(ctx, framework.PreflightInput{BaseURL: raw, Model: "m"})
			Expect(err).To(MatchError(ContainSubstring(why)))
			Expect(err.Error()).NotTo(ContainSubstring("pw123"))
			Expect(format.Object(err, 0)).NotTo(ContainSubstring("pw123"), "nor in the fields a failure message prints")
		},
		targets,
	)

	DescribeTable("is refused by the native runner, with or without the preflight, without its password",
		func(ctx SpecContext, raw, _ string) {
			cfg := scenarios.Production()
			cfg.Server.BaseURL = raw
			cfg.Data.Type = scenarios.DataMock // no tokenizer needed
			for _, skip := range []bool{false, true} {
				_, err := (&framework.NativeRunner{SkipPreflight: skip}).Run(ctx, cfg)
				Expect(err).To(HaveOccurred(), "preflight skipped: %v", skip)
				Expect(err.Error()).NotTo(ContainSubstring("pw123"))
				Expect(format.Object(err, 0)).NotTo(ContainSubstring("pw123"), "nor in the fields a failure message prints")
			}
		},
		targets,
	)
})
