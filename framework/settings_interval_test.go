package framework_test

import (
	"flag"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("the timeline interval setting", func() {
	It("reads TAILGATE_INTERVAL and -tailgate.interval", func() {
		s, err := framework.SettingsFromEnv(env(framework.EnvInterval, "10s"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Interval).To(Equal(10 * time.Second))
		Expect(s.String()).To(ContainSubstring("interval=10s"))

		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f := framework.RegisterFlags(fs)
		Expect(fs.Parse([]string{"-tailgate.interval", "250ms"})).To(Succeed())
		s, err = f.Settings()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Interval).To(Equal(250 * time.Millisecond))
	})

	It("names the variable and the fix for a bad interval", func() {
		for _, v := range []string{"soon", "0s", "-1s", "2h"} {
			_, err := framework.SettingsFromEnv(env(framework.EnvInterval, v))
			Expect(err).To(MatchError(ContainSubstring("TAILGATE_INTERVAL=%q: want a timeline interval between 1ms and 1h, such as 1s or 10s", v)))
		}
	})

	It("reaches the native engine's options", func(ctx SpecContext) {
		cfg, err := scenarios.Preset("baseline")
		Expect(err).NotTo(HaveOccurred())
		cfg.Server = &scenarios.ServerConfig{BaseURL: "http://127.0.0.1:1", ModelName: "m"}
		cfg.Data.Type = scenarios.DataMock
		r := &framework.NativeRunner{SkipPreflight: true, TimelineInterval: 5 * time.Second}
		o, err := r.LoadgenOptions(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(o.TimelineInterval).To(Equal(5 * time.Second))
	})
})
