package framework_test

import (
	"context"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

var _ = Describe("settings", func() {
	It("reads every TAILGATE_* variable", func() {
		s, err := framework.SettingsFromEnv(env(
			framework.EnvTargetURL, "http://vllm:8000", framework.EnvModel, "m", framework.EnvAPIKey, "sekret",
			framework.EnvTokenizer, "Qwen/Qwen3-8B", framework.EnvSLA, "sla.yaml", framework.EnvDuration, "70s",
			framework.EnvRate, "2.5", framework.EnvRunner, "native", framework.EnvReportDir, "out"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s).To(Equal(framework.Settings{TargetURL: "http://vllm:8000", Model: "m", APIKey: "sekret",
			Tokenizer: "Qwen/Qwen3-8B", SLA: "sla.yaml", Duration: 70 * time.Second, Rate: 2.5, Runner: "native", ReportDir: "out"}))
		Expect(s.String()).NotTo(ContainSubstring("sekret"))
		s.TargetURL = "https://user:url-sekret@vllm:8000"
		Expect(s.String()).To(ContainSubstring(`target="https://user:REDACTED@vllm:8000"`))
	})

	It("names the variable and the fix for a bad value", func() {
		for _, c := range [][2]string{
			{framework.EnvDuration, "soon"}, {framework.EnvDuration, "1500ms"}, {framework.EnvRate, "-1"}, {framework.EnvRate, "inf"},
			{framework.EnvRunner, "docker"}, {framework.EnvTargetURL, "vllm:8000"},
		} {
			_, err := framework.SettingsFromEnv(env(c[0], c[1]))
			Expect(err).To(MatchError(ContainSubstring(c[0])), c[1])
		}
		s, err := framework.SettingsFromEnv(env(framework.EnvDuration, "60"))
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Duration).To(Equal(time.Minute))
	})

	It("binds -tailgate.* flags whose defaults come from the environment", func() {
		GinkgoT().Setenv(framework.EnvModel, "from-env")
		GinkgoT().Setenv(framework.EnvRate, "3")
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f := framework.RegisterFlags(fs)
		Expect(fs.Parse([]string{"-tailgate.rate=7", "-tailgate.duration=10s"})).To(Succeed())
		s, err := f.Settings()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Model).To(Equal("from-env"))
		Expect(s.Rate).To(Equal(7.0))
		Expect(s.Duration).To(Equal(10 * time.Second))
		Expect(fs.Parse([]string{"-tailgate.rate=fast"})).To(Succeed())
		_, err = f.Settings()
		Expect(err).To(MatchError(ContainSubstring("-tailgate.rate")))
	})
})

var _ = Describe("ApplySettings", func() {
	It("overrides target, model, key, tokenizer, every stage's duration and rate", func() {
		cfg := scenarios.Saturation()
		out := framework.ApplySettings(cfg, framework.Settings{TargetURL: "http://t:1", Model: "m", APIKey: "k",
			Tokenizer: "/tok.json", Duration: 20 * time.Second, Rate: 3})
		Expect(out.Server.BaseURL).To(Equal("http://t:1"))
		Expect(out.Server.ModelName).To(Equal("m"))
		Expect(out.Server.APIKey).To(Equal("k"))
		Expect(out.Tokenizer.PretrainedModelNameOrPath).To(Equal("/tok.json"))
		Expect(out.Load.Stages).To(HaveLen(4))
		for _, s := range out.Load.Stages {
			Expect(s.Duration).To(Equal(20))
			Expect(s.Rate).To(Equal(3.0))
		}
		// The input is not modified.
		Expect(cfg.Load.Stages[0].Duration).To(Equal(180))
		Expect(cfg.Server.BaseURL).NotTo(Equal("http://t:1"))
	})

	It("shortens a sweep's stages", func() {
		out := framework.ApplySettings(scenarios.Sweep(), framework.Settings{Duration: 10 * time.Second})
		Expect(out.Load.Sweep.StageDuration).To(Equal(10))
	})
})

var _ = Describe("preflight", func() {
	It("fails at once with the fix when the target is unreachable", func(ctx SpecContext) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		addr := l.Addr().String()
		l.Close()
		_, err = framework.Preflight(ctx, framework.PreflightInput{BaseURL: "http://" + addr, Model: "m"})
		Expect(err).To(MatchError(And(ContainSubstring("unreachable"), ContainSubstring("connection refused"), ContainSubstring(framework.EnvTargetURL))))
	})

	It("never prints a password given in the target URL", func(ctx SpecContext) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		addr := l.Addr().String()
		l.Close()
		_, err = framework.Preflight(ctx, framework.PreflightInput{BaseURL: "http://user:s3cret-pw@" + addr, Model: "m"})
		Expect(err).To(MatchError(ContainSubstring("unreachable")))
		Expect(err.Error()).NotTo(ContainSubstring("s3cret-pw"))

		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"data":[{"id":"other"}]}`))
		}))
		DeferCleanup(srv.Close)
		_, err = framework.Preflight(ctx, framework.PreflightInput{BaseURL: strings.Replace(srv.URL, "http://", "http://user:s3cret-pw@", 1), Model: "m"})
		Expect(err).To(MatchError(ContainSubstring("Model Not Found")))
		Expect(err.Error()).NotTo(ContainSubstring("s3cret-pw"))
		Expect(framework.RedactURL("https://u:pw@host:8000/v1")).To(Equal("https://u:REDACTED@host:8000/v1"))
		Expect(framework.RedactURL("http://u:p%zz@host:8000/v1")).To(Equal("http://REDACTED@host:8000/v1"), "an unparsable URL")
		Expect(framework.RedactURL("http://host:8000/a@b")).To(Equal("http://host:8000/a@b"))
	})

	It("names the served models when the model is wrong", func(ctx SpecContext) {
		sim, err := mockvllm.Start(ctx, mockvllm.Options{Model: "served-model"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sim.Close)
		_, err = framework.Preflight(ctx, framework.PreflightInput{BaseURL: sim.URL(), Model: "wrong"})
		Expect(err).To(MatchError(And(ContainSubstring(`"wrong"`), ContainSubstring("served-model"), ContainSubstring(framework.EnvModel))))
		m, err := framework.Preflight(ctx, framework.PreflightInput{BaseURL: sim.URL()})
		Expect(err).NotTo(HaveOccurred())
		Expect(m).To(Equal("served-model"))
	})

	It("reports a rejected API key without printing it", func(ctx SpecContext) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"message":"invalid api key","type":"AuthenticationError","code":401}}`))
		}))
		DeferCleanup(srv.Close)
		_, err := framework.Preflight(ctx, framework.PreflightInput{BaseURL: srv.URL, Model: "m", APIKey: "sekret-key"})
		Expect(err).To(MatchError(And(ContainSubstring("HTTP 401"), ContainSubstring("invalid api key"), ContainSubstring(framework.EnvAPIKey))))
		Expect(err.Error()).NotTo(ContainSubstring("sekret-key"))
	})
})

var _ = Describe("the native runner", func() {
	// small is the production scenario shrunk to a few seconds, with the
	// target a fixed-timing simulator so responses are fast.
	small := func(url string) scenarios.Config {
		cfg := framework.ApplySettings(scenarios.Production(), framework.Settings{TargetURL: url, Duration: 2 * time.Second, Rate: 20})
		cfg.Data.InputDistribution = &scenarios.Distribution{Type: scenarios.DistNormal, Min: 16, Max: 256, Mean: 64, StdDev: 32}
		cfg.Data.OutputDistribution = &scenarios.Distribution{Type: scenarios.DistNormal, Min: 4, Max: 64, Mean: 16, StdDev: 8}
		return cfg
	}

	It("runs the production scenario against a target and passes a reachable SLA", func(ctx SpecContext) {
		prof := mockvllm.FixedProfile(20*time.Millisecond, 2*time.Millisecond)
		sim, err := mockvllm.Start(ctx, mockvllm.Options{Model: "qwen3-8b", CustomProfile: &prof})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sim.Close)
		var progress []loadgen.Progress
		r := &framework.NativeRunner{ProgressEvery: 500 * time.Millisecond, Progress: func(p loadgen.Progress) { progress = append(progress, p) }}
		m, err := r.Run(ctx, small(sim.URL()))
		Expect(err).NotTo(HaveOccurred())
		rep := m.Report
		Expect(rep.Summary.Requests).To(BeEquivalentTo(40))
		Expect(rep.Summary.Failures).To(BeZero())
		Expect(rep).To(matchers.HaveDeliveredLoad())
		Expect(rep).To(matchers.HaveP50TTFTBelow(500 * time.Millisecond))
		Expect(progress).NotTo(BeEmpty())
		Expect(progress[len(progress)-1].Sent).To(BeNumerically(">", 0))
	}, SpecTimeout(60*time.Second))

	It("fails the gate with Connection Error failures when the server dies mid-run", func(ctx SpecContext) {
		prof := mockvllm.FixedProfile(20*time.Millisecond, 2*time.Millisecond)
		sim, err := mockvllm.Start(ctx, mockvllm.Options{Model: "qwen3-8b", CustomProfile: &prof})
		Expect(err).NotTo(HaveOccurred())
		go func() { // die once the load is flowing
			for len(sim.Truths()) < 15 {
				time.Sleep(20 * time.Millisecond)
			}
			_ = sim.Close()
		}()
		cfg := small(sim.URL())
		cfg = framework.ApplySettings(cfg, framework.Settings{Duration: 3 * time.Second})
		m, err := (&framework.NativeRunner{}).Run(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		rep := m.Report
		Expect(rep.Summary.FailuresByLabel).To(HaveKey("Connection Error"))
		Expect(rep).NotTo(matchers.HaveErrorRateBelow(0.01))
	}, SpecTimeout(60*time.Second))

	It("refuses scenarios the native engine cannot run, naming the key", func(ctx SpecContext) {
		cfg := scenarios.Production()
		cfg.Data.Type = scenarios.DataShareGPT
		_, err := (&framework.NativeRunner{SkipPreflight: true}).Run(ctx, cfg)
		Expect(err).To(MatchError(ContainSubstring("data.type")))
		cfg = scenarios.Production()
		cfg.Load.Type = scenarios.LoadTraceReplay
		_, err = (&framework.NativeRunner{SkipPreflight: true}).Run(ctx, cfg)
		Expect(err).To(MatchError(ContainSubstring("load.type")))
	})
})

var _ = Describe("Prepare", func() {
	It("starts the simulated vLLM when no target is given and runs against it", func(ctx SpecContext) {
		cfg := scenarios.Baseline()
		g, err := framework.Prepare(ctx, framework.PrepareInput{
			Settings: framework.Settings{Duration: 2 * time.Second, Rate: 5},
			Scenario: cfg, Log: GinkgoWriter,
		})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(g.Close)
		Expect(g.Simulator).NotTo(BeNil())
		Expect(g.Config.Server.BaseURL).To(Equal(g.Simulator.URL()))
		Expect(g.Simulator.Profile().Name).To(Equal(framework.DefaultSimulatorProfile))
		m, err := g.Run(ctx)
		Expect(err).NotTo(HaveOccurred())
		rep := m.Report
		Expect(rep.Summary.Successes).To(BeEquivalentTo(10))
		Expect(rep.Summary.PromptTokensTotal).To(BeEquivalentTo(10 * 512))
		Expect(rep.Summary.OutputTokensTotal).To(BeEquivalentTo(10 * 128))
	}, SpecTimeout(90*time.Second))

	It("offers only the runners it was given", func(ctx SpecContext) {
		_, err := framework.Prepare(ctx, framework.PrepareInput{
			Settings: framework.Settings{TargetURL: "http://127.0.0.1:1", Runner: "remote"},
			Scenario: scenarios.Production(),
		})
		Expect(err).To(MatchError(ContainSubstring(`runner "remote" is not available here; this binary offers native`)))
		reg := framework.NewRegistry()
		reg.Register(framework.RunnerSpec{Name: "remote", Usage: "test", New: func(context.Context, framework.RunnerInput) (framework.Runner, error) {
			return &framework.NativeRunner{}, nil
		}})
		g, err := framework.Prepare(ctx, framework.PrepareInput{
			Settings: framework.Settings{TargetURL: "http://127.0.0.1:1", Runner: "remote"},
			Scenario: scenarios.Production(), Runners: reg,
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(g.Close()).To(Succeed())
	})
})
