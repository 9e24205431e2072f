package framework_test

import (
	"flag"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("drain and request timeout settings", func() {
	It("read from the environment and the -tailgate.* flags, flags winning", func() {
		s, err := framework.SettingsFromEnv(env(framework.EnvDrainTimeout, "90s", framework.EnvRequestTimeout, "120"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.DrainTimeout).To(Equal(90 * time.Second))
		Expect(s.RequestTimeout).To(Equal(2 * time.Minute))

		GinkgoT().Setenv(framework.EnvDrainTimeout, "90s")
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f := framework.RegisterFlags(fs)
		Expect(fs.Parse([]string{"-tailgate.drain-timeout", "15s", "-tailgate.request-timeout", "1m"})).To(Succeed())
		s, err = f.Settings()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.DrainTimeout).To(Equal(15 * time.Second))
		Expect(s.RequestTimeout).To(Equal(time.Minute))
	})

	It("refuse values outside 1s to 1h, naming the setting", func() {
		for _, c := range [][2]string{
			{framework.EnvDrainTimeout, "0"}, {framework.EnvDrainTimeout, "999ms"}, {framework.EnvDrainTimeout, "61m"},
			{framework.EnvRequestTimeout, "later"}, {framework.EnvRequestTimeout, "-5s"},
		} {
			_, err := framework.SettingsFromEnv(env(c[0], c[1]))
			Expect(err).To(MatchError(ContainSubstring(c[0]+"=%q: want a duration from 1s to 1h", c[1])))
		}
	})

	It("reach the native engine: the request timeout through the scenario, the drain timeout through the runner", func(ctx SpecContext) {
		s := framework.Settings{TargetURL: "http://127.0.0.1:1", Model: "m", DrainTimeout: 7 * time.Second, RequestTimeout: 42 * time.Second}
		cfg := scenarios.Config{Data: scenarios.DataConfig{Type: scenarios.DataMock}, Load: scenarios.LoadConfig{Type: scenarios.LoadConstant, Stages: []scenarios.Stage{{Rate: 1, Duration: 1}}}}
		g, err := framework.Prepare(ctx, framework.PrepareInput{Settings: s, Scenario: cfg})
		Expect(err).NotTo(HaveOccurred())
		Expect(*g.Config.Load.RequestTimeout).To(Equal(42.0))
		nr := g.Runner.(*framework.NativeRunner)
		nr.SkipPreflight = true
		var o loadgen.Options
		o, err = nr.LoadgenOptions(ctx, g.Config)
		Expect(err).NotTo(HaveOccurred())
		Expect(o.DrainTimeout).To(Equal(7 * time.Second))
		Expect(o.RequestTimeout).To(Equal(42 * time.Second))
	})

	It("refuse a rate above one generator's bound, naming the setting and pointing at shards", func() {
		_, err := framework.SettingsFromEnv(env(framework.EnvRate, "1e9"))
		Expect(err).To(MatchError(And(ContainSubstring(framework.EnvRate), ContainSubstring("shards"))))
	})
})
