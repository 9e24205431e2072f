package framework_test

import (
	"flag"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("the shard settings", func() {
	at := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	stamp := at.Format(time.RFC3339)

	It("reads TAILGATE_SHARD and TAILGATE_START_AT, and -tailgate.shard and -tailgate.start-at", func() {
		s, err := framework.SettingsFromEnv(env(framework.EnvShard, "2/4", framework.EnvStartAt, stamp))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Sharding.Shard).To(Equal(loadgen.Shard{Index: 2, Count: 4}))
		Expect(s.Sharding.StartAt.Equal(at)).To(BeTrue())

		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f := framework.RegisterFlags(fs)
		Expect(fs.Parse([]string{"-tailgate.shard", "0/2", "-tailgate.start-at", stamp})).To(Succeed())
		s, err = f.Settings()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Sharding.Shard).To(Equal(loadgen.Shard{Index: 0, Count: 2}))
	})

	It("names the setting and the fix for a bad shard or start time", func() {
		for _, v := range []string{"4/4", "1", "-1/2", "a/b", "0/0", "0/1001"} {
			_, err := framework.SettingsFromEnv(env(framework.EnvShard, v, framework.EnvStartAt, stamp))
			Expect(err).To(MatchError(ContainSubstring("TAILGATE_SHARD=%q: want I/N with 0 <= I < N <= 1000", v)))
		}
		_, err := framework.SettingsFromEnv(env(framework.EnvShard, "1/2"))
		Expect(err).To(MatchError(ContainSubstring(`TAILGATE_SHARD="1/2" needs TAILGATE_START_AT`)))
		reg := framework.NewRegistry()
		cluster.Register(reg)
		_, err = reg.SettingsFromEnv(env(framework.EnvShard, "1/2", framework.EnvStartAt, stamp, framework.EnvRunner, cluster.RunnerInferencePerfJob))
		Expect(err).To(MatchError(ContainSubstring("the inference-perf-job runner cannot run a shard: inference-perf's reports hold percentiles only")))
		_, err = reg.SettingsFromEnv(env(framework.EnvShard, "1/2", framework.EnvStartAt, stamp, framework.EnvRunner, cluster.RunnerNativeJob))
		Expect(err).To(MatchError(ContainSubstring("set TAILGATE_SHARDS instead")))
		_, err = framework.SettingsFromEnv(env(framework.EnvStartAt, "tomorrow"))
		Expect(err).To(MatchError(ContainSubstring(`TAILGATE_START_AT="tomorrow": want an RFC 3339 time`)))
		_, err = framework.SettingsFromEnv(env(framework.EnvStartAt, time.Now().Add(72*time.Hour).Format(time.RFC3339)))
		Expect(err).To(MatchError(ContainSubstring("more than 24h0m0s: check the date")))
	})

	It("gives every shard of a run the same seed and run id, from the start time when the scenario has no seed", func(ctx SpecContext) {
		cfg, err := scenarios.Preset("baseline")
		Expect(err).NotTo(HaveOccurred())
		cfg.Server = &scenarios.ServerConfig{BaseURL: "http://127.0.0.1:1", ModelName: "m"}
		cfg.Data.Type = scenarios.DataMock
		cfg.Load.BaseSeed = 0
		options := func(i, n int, start time.Time) loadgen.Options {
			GinkgoHelper()
			r := &framework.NativeRunner{SkipPreflight: true, Sharding: framework.ShardSettings{Shard: loadgen.Shard{Index: i, Count: n}, StartAt: start}}
			o, err := r.LoadgenOptions(ctx, cfg)
			Expect(err).NotTo(HaveOccurred())
			return o
		}
		a, b := options(0, 3, at), options(2, 3, at)
		Expect(a.Seed).To(Equal(at.UnixMilli()))
		Expect(b.Seed).To(Equal(a.Seed))
		Expect(a.RunID).NotTo(BeEmpty())
		Expect(b.RunID).To(Equal(a.RunID))
		Expect(b.Shard).To(Equal(loadgen.Shard{Index: 2, Count: 3}))
		Expect(b.StartAt).To(Equal(at))
		Expect(options(0, 3, at.Add(time.Second)).RunID).NotTo(Equal(a.RunID), "another start time is another run")
		Expect(options(0, 2, at).RunID).NotTo(Equal(a.RunID), "another shard count is another run")
	})
})
