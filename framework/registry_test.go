package framework_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// remoteRunner is a runner that runs elsewhere: it may bring its own target
// and holds something to release.
type remoteRunner struct {
	framework.NativeRunner
	target   string
	closed   *int
	closeErr error
}

func (r *remoteRunner) TargetURL() string { return r.target }

func (r *remoteRunner) Close(context.Context) error {
	*r.closed++
	return r.closeErr
}

func (r *remoteRunner) Run(context.Context, scenarios.Config) (framework.Measurement, error) {
	return framework.Measurement{}, errors.New("the remote run failed")
}

// remoteSpec registers "remote" with one setting, TEST_REMOTE_ZONE
// (-tailgate.zone), which must be a or b.
func remoteSpec(target string, closed *int) framework.RunnerSpec {
	return framework.RunnerSpec{
		Name: "remote", Usage: "a runner elsewhere",
		Settings: []framework.Setting{{Flag: "zone", Env: "TEST_REMOTE_ZONE", Usage: "zone"}},
		Check: func(v framework.Values) error {
			if z := v.Get("TEST_REMOTE_ZONE"); z != "" && z != "a" && z != "b" {
				return fmt.Errorf("%s=%q: want a or b", v.Name("TEST_REMOTE_ZONE"), z)
			}
			return nil
		},
		New: func(_ context.Context, in framework.RunnerInput) (framework.Runner, error) {
			if in.Settings.RunnerSettings.Get("TEST_REMOTE_ZONE") == "" {
				return nil, errors.New("no zone")
			}
			return &remoteRunner{target: target, closed: closed}, nil
		},
	}
}

var _ = Describe("the runner registry", func() {
	It("binds every runner's settings as -tailgate.* flags and checks them, naming the flag or the variable", func() {
		reg := framework.NewRegistry()
		var closed int
		reg.Register(remoteSpec("", &closed))
		Expect(reg.Names()).To(Equal([]string{"native", "remote"}))

		GinkgoT().Setenv("TEST_REMOTE_ZONE", "b")
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f := reg.RegisterFlags(fs)
		Expect(fs.Lookup("tailgate.zone")).NotTo(BeNil())
		Expect(fs.Lookup("tailgate.runner").Usage).To(ContainSubstring("native (tailgate's load engine in this process), remote (a runner elsewhere)"))

		Expect(fs.Parse([]string{"-tailgate.runner=remote"})).To(Succeed())
		s, err := f.Settings()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.RunnerSettings.Get("TEST_REMOTE_ZONE")).To(Equal("b"), "from the environment")

		Expect(fs.Parse([]string{"-tailgate.zone=a"})).To(Succeed())
		s, err = f.Settings()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.RunnerSettings.Get("TEST_REMOTE_ZONE")).To(Equal("a"), "the flag wins")

		Expect(fs.Parse([]string{"-tailgate.zone=c"})).To(Succeed())
		_, err = f.Settings()
		Expect(err).To(MatchError(`runner remote: -tailgate.zone="c": want a or b`))

		_, err = reg.SettingsFromEnv(env(framework.EnvRunner, "remote", "TEST_REMOTE_ZONE", "z"))
		Expect(err).To(MatchError(`runner remote: TEST_REMOTE_ZONE="z": want a or b`))
		_, err = reg.SettingsFromEnv(env(framework.EnvRunner, "docker"))
		Expect(err).To(MatchError(`TAILGATE_RUNNER="docker": want native, remote`))
		_, err = framework.SettingsFromEnv(env(framework.EnvRunner, "remote"))
		Expect(err).To(MatchError(`TAILGATE_RUNNER="remote": want native`), "a registry without it")
	})

	It("reads only the selected runner's settings", func() {
		reg := framework.NewRegistry()
		var closed int
		reg.Register(remoteSpec("", &closed))
		s, err := reg.SettingsFromEnv(env("TEST_REMOTE_ZONE", "nowhere"))
		Expect(err).NotTo(HaveOccurred(), "the native runner has no zone to check")
		Expect(s.RunnerSettings.Get("TEST_REMOTE_ZONE")).To(BeEmpty())
	})

	It("panics on a runner registered twice or a flag taken by another variable", func() {
		reg := framework.NewRegistry()
		var closed int
		reg.Register(remoteSpec("", &closed))
		Expect(func() { reg.Register(remoteSpec("", &closed)) }).To(PanicWith(ContainSubstring(`runner "remote" registered twice`)))
		other := remoteSpec("", &closed)
		other.Name, other.Settings = "other", []framework.Setting{{Flag: "zone", Env: "TEST_OTHER_ZONE"}}
		Expect(func() { reg.Register(other) }).To(PanicWith(ContainSubstring(`flag "zone" already names TEST_REMOTE_ZONE`)))
	})

	It("gives a runner that runs elsewhere the target it brings, refuses one without a target, and closes it", func(ctx SpecContext) {
		var closed int
		reg := framework.NewRegistry()
		reg.Register(remoteSpec("http://sim.cluster:8000", &closed))
		s, err := reg.SettingsFromEnv(env(framework.EnvRunner, "remote", "TEST_REMOTE_ZONE", "a"))
		Expect(err).NotTo(HaveOccurred())
		g, err := framework.Prepare(ctx, framework.PrepareInput{Settings: s, Scenario: scenarios.Production(), Runners: reg})
		Expect(err).NotTo(HaveOccurred())
		Expect(g.Simulator).To(BeNil(), "no in-process simulator for a runner elsewhere")
		Expect(g.Config.Server.BaseURL).To(Equal("http://sim.cluster:8000"))
		Expect(g.Close()).To(Succeed())
		Expect(closed).To(Equal(1))

		reg = framework.NewRegistry()
		reg.Register(remoteSpec("", &closed))
		_, err = framework.Prepare(ctx, framework.PrepareInput{Settings: s, Scenario: scenarios.Production(), Runners: reg})
		Expect(err).To(MatchError(ContainSubstring("runner remote needs a target URL reachable from where it runs (TAILGATE_TARGET_URL)")))
		Expect(closed).To(Equal(2), "closed after the refusal")

		s.RunnerSettings = framework.Values{}
		_, err = framework.Prepare(ctx, framework.PrepareInput{Settings: s, Scenario: scenarios.Production(), Runners: reg})
		Expect(err).To(MatchError("runner remote: no zone"))
	})

	It("reads settings from their variables with EnvValues", func() {
		v := framework.EnvValues([]framework.Setting{{Flag: "zone", Env: "TEST_REMOTE_ZONE"}, {Flag: "keep", Env: "TEST_KEEP"}},
			env("TEST_REMOTE_ZONE", " a ", "TEST_KEEP", "maybe"))
		Expect(v.Get("TEST_REMOTE_ZONE")).To(Equal("a"))
		_, err := v.Bool("TEST_KEEP")
		Expect(err).To(MatchError(`TEST_KEEP="maybe": want true or false`))
		keep, err := v.Bool("TEST_UNSET")
		Expect(err).NotTo(HaveOccurred())
		Expect(keep).To(BeFalse())
		Expect(strings.Contains(v.Name("TEST_REMOTE_ZONE"), "TEST_REMOTE_ZONE")).To(BeTrue())
	})

	It("releases the runner when the run ends and logs a release that failed", func(ctx SpecContext) {
		var closed int
		spec := remoteSpec("http://sim.cluster:8000", &closed)
		newRemote := spec.New
		spec.New = func(ctx context.Context, in framework.RunnerInput) (framework.Runner, error) {
			r, err := newRemote(ctx, in)
			if err == nil {
				r.(*remoteRunner).closeErr = errors.New("namespace stuck in Terminating")
			}
			return r, err
		}
		reg := framework.NewRegistry()
		reg.Register(spec)
		s, err := reg.SettingsFromEnv(env(framework.EnvRunner, "remote", "TEST_REMOTE_ZONE", "a"))
		Expect(err).NotTo(HaveOccurred())
		var log strings.Builder
		j := framework.RunPipeline(ctx, framework.PipelineInput{Name: "remote", Settings: s, Scenario: scenarios.Production(),
			SLA: framework.NoSLA(), Runners: reg, Dir: GinkgoT().TempDir(), Log: &log, ProgressEvery: -1})
		Expect(j.Err).To(MatchError("the remote run failed"))
		Expect(closed).To(Equal(1))
		Expect(log.String()).To(ContainSubstring("tailgate: releasing the remote runner: namespace stuck in Terminating"))
	})
})
