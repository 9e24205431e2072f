package framework

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/tokenizer"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// LoadScenario returns a preset by name (production, baseline, saturation,
// sweep) or, when configPath is set, the inference-perf config in that file;
// valuesPath, when set, overlays an AI-on-EKS chart values file.
func LoadScenario(preset, configPath, valuesPath string) (scenarios.Config, error) {
	var cfg scenarios.Config
	var err error
	switch {
	case configPath != "" && preset != "":
		return cfg, fmt.Errorf("give a preset scenario or a config file, not both")
	case configPath != "":
		cfg, err = scenarios.LoadFile(configPath)
	case preset != "":
		cfg, err = scenarios.Preset(preset)
	default:
		return cfg, fmt.Errorf("no scenario: name a preset (production, baseline, saturation, sweep) or a config file")
	}
	if err != nil {
		return cfg, err
	}
	if valuesPath != "" {
		data, err := os.ReadFile(valuesPath)
		if err != nil {
			return cfg, fmt.Errorf("values file: %w", err)
		}
		if cfg, err = scenarios.ApplyValues(cfg, data); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// ApplySettings returns a copy of cfg with the settings' overrides, each
// through the scenario's own helper: target URL and model
// (scenarios.Config.WithTarget), API key, tokenizer, Duration for every stage
// and a sweep's stage_duration (WithDuration), Rate for every rate-based
// stage (WithRate, which turns a sweep into one stage at that rate) and
// RequestTimeout for load.request_timeout.
func ApplySettings(cfg scenarios.Config, s Settings) scenarios.Config {
	var srv scenarios.ServerConfig
	if cfg.Server != nil {
		srv = *cfg.Server
	}
	cfg = cfg.WithTarget(cmp.Or(s.TargetURL, srv.BaseURL), cmp.Or(s.Model, srv.ModelName))
	if s.APIKey != "" {
		cfg.Server.APIKey = s.APIKey
	}
	if s.Tokenizer != "" {
		if cfg.Tokenizer == nil {
			cfg.Tokenizer = &scenarios.TokenizerConfig{}
		}
		cfg.Tokenizer.PretrainedModelNameOrPath = s.Tokenizer
	}
	if s.Duration > 0 {
		cfg = cfg.WithDuration(s.Duration)
	}
	if s.Rate > 0 {
		cfg = cfg.WithRate(s.Rate)
	}
	if s.RequestTimeout > 0 {
		t := s.RequestTimeout.Seconds()
		cfg.Load.RequestTimeout = &t
	}
	return cfg
}

// PreparedRun is a scenario ready to run: overrides applied, target resolved (the
// simulated vLLM started when no target URL was given) and runner chosen.
type PreparedRun struct {
	// Settings are the resolved settings.
	Settings Settings
	// Config is the scenario with every override applied.
	Config scenarios.Config
	// Runner runs Config.
	Runner Runner
	// Simulator is the in-process simulated vLLM, or nil against a real target.
	Simulator *mockvllm.Server
}

// PrepareInput is what Prepare needs.
type PrepareInput struct {
	Settings Settings
	Scenario scenarios.Config
	// Runners are the runners Settings.Runner may name; nil means
	// NewRegistry() (the native runner only).
	Runners *Registry
	// Progress, when set, gets the native engine's progress every ProgressEvery (default 5 s).
	Progress      func(loadgen.Progress)
	ProgressEvery time.Duration
	// Log receives what Prepare did (simulator started, tokenizer fallback); nil discards it.
	Log io.Writer
	// UseScenarioTarget keeps the scenario's own server.base_url when the settings
	// give no target URL (a user's config file names its target; the presets'
	// base URL is only the chart's placeholder, so suites leave this false).
	UseScenarioTarget bool
}

// Prepare resolves the settings against the scenario and builds the runner
// the settings name from the registry. With no target URL a local runner gets
// the simulated vLLM (profile qwen3-8b-h100), started on loopback with the
// scenario's tokenizer and model; another runner must bring its own target
// (TargetProvider). Close stops what Prepare started.
func Prepare(ctx context.Context, in PrepareInput) (*PreparedRun, error) {
	s := in.Settings
	s.Runner = cmp.Or(s.Runner, RunnerNative)
	reg := in.Runners
	if reg == nil {
		reg = NewRegistry()
	}
	spec, ok := reg.Lookup(s.Runner)
	if !ok {
		return nil, fmt.Errorf("runner %q is not available here; this binary offers %s", s.Runner, strings.Join(reg.Names(), ", "))
	}
	logw := in.Log
	if logw == nil {
		logw = io.Discard
	}
	logger := slog.New(slog.NewTextHandler(logw, nil))
	g := &PreparedRun{Settings: s, Config: ApplySettings(in.Scenario, s)}
	rin := RunnerInput{Settings: s, Log: logw, Logger: logger, Progress: in.Progress, ProgressEvery: in.ProgressEvery}
	needTarget := s.TargetURL == "" && !(in.UseScenarioTarget && g.Config.Server.BaseURL != "")
	if needTarget && spec.Local {
		tok, err := g.startSimulator(ctx, logger, logw)
		if err != nil {
			return nil, err
		}
		rin.Tokenizer, needTarget = tok, false
	}
	r, err := spec.New(ctx, rin)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("runner %s: %w", s.Runner, err), g.Close())
	}
	g.Runner = r
	if !needTarget {
		return g, nil
	}
	if tp, ok := r.(TargetProvider); ok && tp.TargetURL() != "" {
		g.Config.Server.BaseURL = tp.TargetURL()
		fmt.Fprintf(logw, "tailgate: target %s provided by the %s runner\n", RedactURL(g.Config.Server.BaseURL), s.Runner)
		return g, nil
	}
	return nil, errors.Join(fmt.Errorf("runner %s needs a target URL reachable from where it runs (%s); the in-process simulator serves only this process", s.Runner, EnvTargetURL), g.Close())
}

// startSimulator loads the scenario's tokenizer and starts the simulated vLLM
// serving the scenario's model on loopback; the scenario's target becomes it.
func (g *PreparedRun) startSimulator(ctx context.Context, logger *slog.Logger, logw io.Writer) (tokenizer.Tokenizer, error) {
	cfg := &g.Config
	ref := DefaultTokenizer
	if cfg.Tokenizer != nil && cfg.Tokenizer.PretrainedModelNameOrPath != "" {
		ref = cfg.Tokenizer.PretrainedModelNameOrPath
	}
	tok, err := tokenizer.Load(ctx, ref, tokenizer.LoadOptions{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("tokenizer for the simulated vLLM: %w", err)
	}
	model := cmp.Or(cfg.Server.ModelName, DefaultTokenizer)
	cfg.Server.ModelName = model
	sim, err := mockvllm.Start(context.WithoutCancel(ctx), mockvllm.Options{
		Model: model, Profile: DefaultSimulatorProfile, Tokenizer: tok, Seed: 1, Logger: logger,
		TruthCapacity: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the simulated vLLM: %w", err)
	}
	g.Simulator = sim
	cfg.Server.BaseURL = sim.URL()
	fmt.Fprintf(logw, "tailgate: no target URL given (%s); simulated vLLM (profile %s, model %s) serving at %s\n",
		EnvTargetURL, DefaultSimulatorProfile, model, sim.URL())
	return tok, nil
}

// TargetProvider is implemented by runners that bring their own target (a
// simulated vLLM deployed in the test cluster); Prepare uses its URL when the
// settings name none.
type TargetProvider interface {
	TargetURL() string
}

// Run runs the prepared scenario.
func (g *PreparedRun) Run(ctx context.Context) (Measurement, error) {
	return g.Runner.Run(ctx, g.Config)
}

// Close releases what the runner holds (RunnerCloser: a cluster it set up, a
// simulated vLLM it deployed), within closeTimeout, and stops the in-process
// simulated vLLM, if one was started.
func (g *PreparedRun) Close() error {
	var errs []error
	if c, ok := g.Runner.(RunnerCloser); ok {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		errs = append(errs, c.Close(ctx))
		cancel()
	}
	if g.Simulator != nil {
		errs = append(errs, g.Simulator.Close())
	}
	return errors.Join(errs...)
}

// closeTimeout bounds the release of a runner's cluster objects.
const closeTimeout = 5 * time.Minute

// ReportDirOr returns the settings' report directory, or def when unset.
func (s Settings) ReportDirOr(def string) string {
	if s.ReportDir != "" {
		return s.ReportDir
	}
	return def
}
