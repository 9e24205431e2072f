package framework

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
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

// ApplySettings returns cfg with the settings' overrides: target URL, model,
// API key and tokenizer; Duration replaces every stage's duration (and a
// sweep's stage_duration); Rate replaces every open-loop stage's rate;
// RequestTimeout replaces load.request_timeout.
func ApplySettings(cfg scenarios.Config, s Settings) scenarios.Config {
	srv := scenarios.ServerConfig{Type: scenarios.ServerVLLM}
	if cfg.Server != nil {
		srv = *cfg.Server
	}
	if s.TargetURL != "" {
		srv.BaseURL = s.TargetURL
	}
	if s.Model != "" {
		srv.ModelName = s.Model
	}
	if s.APIKey != "" {
		srv.APIKey = s.APIKey
	}
	cfg.Server = &srv
	if s.Tokenizer != "" {
		t := scenarios.TokenizerConfig{}
		if cfg.Tokenizer != nil {
			t = *cfg.Tokenizer
		}
		t.PretrainedModelNameOrPath = s.Tokenizer
		cfg.Tokenizer = &t
	}
	stages := append([]scenarios.Stage(nil), cfg.Load.Stages...)
	for i := range stages {
		if cfg.Load.Type == scenarios.LoadConcurrent {
			continue
		}
		if s.Duration > 0 {
			stages[i].Duration = int(s.Duration / time.Second)
		}
		if s.Rate > 0 {
			stages[i].Rate = s.Rate
		}
	}
	cfg.Load.Stages = stages
	if s.RequestTimeout > 0 {
		t := s.RequestTimeout.Seconds()
		cfg.Load.RequestTimeout = &t
	}
	if sw := cfg.Load.Sweep; sw != nil && s.Duration > 0 {
		c := *sw
		c.StageDuration = int(s.Duration / time.Second)
		cfg.Load.Sweep = &c
	}
	return cfg
}

// Gate is a scenario ready to run: overrides applied, target resolved (the
// simulated vLLM started when no target URL was given) and runner chosen.
type Gate struct {
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
	// Runners adds runners by name (e.g. the cluster Job runners); "native" is built in.
	Runners map[string]RunnerFactory
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

// Prepare resolves the settings against the scenario. With no target URL it
// loads the tokenizer and starts the simulated vLLM (profile qwen3-8b-h100)
// on loopback, serving the scenario's model; Close stops it.
func Prepare(ctx context.Context, in PrepareInput) (*Gate, error) {
	s := in.Settings
	if s.Runner == "" {
		s.Runner = RunnerNative
	}
	logw := in.Log
	if logw == nil {
		logw = io.Discard
	}
	logger := slog.New(slog.NewTextHandler(logw, nil))
	cfg := ApplySettings(in.Scenario, s)
	g := &Gate{Settings: s}

	native := &NativeRunner{Progress: in.Progress, ProgressEvery: in.ProgressEvery, DrainTimeout: s.DrainTimeout,
		TokenizerOptions: tokenizer.LoadOptions{Logger: logger}, TimelineInterval: s.Interval, Sharding: s.Sharding}
	native.configureServerMetrics(s)
	if s.Runner != RunnerNative {
		f, ok := in.Runners[s.Runner]
		if !ok {
			return nil, fmt.Errorf("runner %q is not available here; this binary offers %s", s.Runner, runnerNames(in.Runners))
		}
		r, err := f(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("runner %s: %w", s.Runner, err)
		}
		if tp, ok := r.(TargetProvider); ok && s.TargetURL == "" && tp.TargetURL() != "" {
			cfg.Server.BaseURL = tp.TargetURL()
			fmt.Fprintf(logw, "tailgate: target %s provided by the %s runner\n", RedactURL(cfg.Server.BaseURL), s.Runner)
		} else if s.TargetURL == "" && !(in.UseScenarioTarget && cfg.Server.BaseURL != "") {
			return nil, fmt.Errorf("runner %s needs a target URL reachable from the cluster (TAILGATE_TARGET_URL); the in-process simulator serves only this process", s.Runner)
		}
		g.Config, g.Runner = cfg, r
		return g, nil
	}
	if s.TargetURL == "" && !(in.UseScenarioTarget && cfg.Server.BaseURL != "") {
		ref := DefaultTokenizer
		if cfg.Tokenizer != nil && cfg.Tokenizer.PretrainedModelNameOrPath != "" {
			ref = cfg.Tokenizer.PretrainedModelNameOrPath
		}
		tok, err := tokenizer.Load(ctx, ref, native.TokenizerOptions)
		if err != nil {
			return nil, fmt.Errorf("tokenizer for the simulated vLLM: %w", err)
		}
		native.Tokenizer = tok
		model := cfg.Server.ModelName
		if model == "" {
			model = DefaultTokenizer
			cfg.Server.ModelName = model
		}
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
	}
	g.Config, g.Runner = cfg, native
	return g, nil
}

// TargetProvider is implemented by runners that bring their own target (a
// simulated vLLM deployed in the test cluster); Prepare uses its URL when the
// settings name none.
type TargetProvider interface {
	TargetURL() string
}

func runnerNames(m map[string]RunnerFactory) string {
	out := RunnerNative
	for k := range m {
		out += ", " + k
	}
	return out
}

// Run runs the prepared scenario.
func (g *Gate) Run(ctx context.Context) (Measurement, error) {
	return g.Runner.Run(ctx, g.Config)
}

// Close stops the simulated vLLM, if one was started.
func (g *Gate) Close() error {
	if g.Simulator != nil {
		return g.Simulator.Close()
	}
	return nil
}

// ReportDirOr returns the settings' report directory, or def when unset.
func (s Settings) ReportDirOr(def string) string {
	if s.ReportDir != "" {
		return s.ReportDir
	}
	return def
}
