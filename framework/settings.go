// Package framework is tailgate's suite-facing API: it resolves the target
// (URL, model, API key, tokenizer) and the runner from flags and environment
// variables, applies the overrides to a scenario, starts the simulated vLLM
// when no target is given, and runs the scenario to a report.
package framework

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by RegisterFlags and SettingsFromEnv.
const (
	EnvTargetURL = "TAILGATE_TARGET_URL"
	EnvModel     = "TAILGATE_MODEL"
	EnvAPIKey    = "TAILGATE_API_KEY"
	EnvTokenizer = "TAILGATE_TOKENIZER"
	EnvSLA       = "TAILGATE_SLA"
	EnvDuration  = "TAILGATE_DURATION"
	EnvRate      = "TAILGATE_RATE"
	EnvRunner    = "TAILGATE_RUNNER"
	EnvReportDir = "TAILGATE_REPORT_DIR"
)

// Runner names accepted by Settings.Runner.
const (
	RunnerNative           = "native"
	RunnerInferencePerfJob = "inference-perf-job"
	RunnerNativeJob        = "native-job"
)

// DefaultTokenizer is the tokenizer used when neither the scenario nor the
// settings name one: the production scenario's model.
const DefaultTokenizer = "Qwen/Qwen3-8B"

// DefaultSimulatorProfile is the simulated vLLM's latency profile when no target URL is given.
const DefaultSimulatorProfile = "qwen3-8b-h100"

// Settings are the run's knobs from flags and environment. Zero values mean
// "keep the scenario's value".
type Settings struct {
	// TargetURL is the server's base URL; empty starts the simulated vLLM in-process.
	TargetURL string
	// Model overrides server.model_name.
	Model string
	// APIKey is sent as a bearer token; it is never printed.
	APIKey string
	// Tokenizer is a tokenizer.json path, a model directory or a Hugging Face model id.
	Tokenizer string
	// SLA is the SLA file; empty means the suite's own.
	SLA string
	// Duration overrides every stage's duration (and a sweep's stage_duration).
	Duration time.Duration
	// Rate overrides every open-loop stage's rate, in requests per second.
	Rate float64
	// Runner is native (default), inference-perf-job or native-job.
	Runner string
	// ReportDir is where report files, the JUnit file and the summary go.
	ReportDir string
}

// String shows the settings with the API key and any password in the target URL redacted.
func (s Settings) String() string {
	key := ""
	if s.APIKey != "" {
		key = "<redacted>"
	}
	return fmt.Sprintf("target=%q model=%q api_key=%q tokenizer=%q sla=%q duration=%s rate=%g runner=%q report_dir=%q",
		RedactURL(s.TargetURL), s.Model, key, s.Tokenizer, s.SLA, s.Duration, s.Rate, s.Runner, s.ReportDir)
}

// Flags holds the raw flag values RegisterFlags bound; Settings parses them.
type Flags struct {
	targetURL, model, apiKey, tokenizer, sla, duration, rate, runner, reportDir string
}

// RegisterFlags binds the -tailgate.* flags on fs (a suite passes
// flag.CommandLine, which Ginkgo's test binary parses). Each flag's default is
// its environment variable, read when RegisterFlags is called, so the flag
// wins over the environment.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	bind := func(p *string, name, env, usage string) {
		fs.StringVar(p, "tailgate."+name, os.Getenv(env), usage+" (env "+env+")")
	}
	bind(&f.targetURL, "target-url", EnvTargetURL, "base URL of the server under test; empty starts the simulated vLLM")
	bind(&f.model, "model", EnvModel, "model name to request (overrides server.model_name)")
	bind(&f.apiKey, "api-key", EnvAPIKey, "API key sent as a bearer token")
	bind(&f.tokenizer, "tokenizer", EnvTokenizer, "tokenizer.json, model directory or Hugging Face model id")
	bind(&f.sla, "sla", EnvSLA, "SLA file to gate on")
	bind(&f.duration, "duration", EnvDuration, "override every stage's duration, e.g. 70s")
	bind(&f.rate, "rate", EnvRate, "override every stage's rate in requests per second")
	bind(&f.runner, "runner", EnvRunner, "native, inference-perf-job or native-job")
	bind(&f.reportDir, "report-dir", EnvReportDir, "directory for report files, JUnit and summary")
	return f
}

// Settings parses the bound flags.
func (f *Flags) Settings() (Settings, error) {
	return parseSettings(map[string]string{
		EnvTargetURL: f.targetURL, EnvModel: f.model, EnvAPIKey: f.apiKey, EnvTokenizer: f.tokenizer,
		EnvSLA: f.sla, EnvDuration: f.duration, EnvRate: f.rate, EnvRunner: f.runner, EnvReportDir: f.reportDir,
	}, "-tailgate.")
}

// SettingsFromEnv reads the settings from environment variables through getenv (os.Getenv when nil).
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	raw := map[string]string{}
	for _, k := range []string{EnvTargetURL, EnvModel, EnvAPIKey, EnvTokenizer, EnvSLA, EnvDuration, EnvRate, EnvRunner, EnvReportDir} {
		raw[k] = getenv(k)
	}
	return parseSettings(raw, "")
}

// SettingsFromValues parses raw values keyed by environment variable name;
// label names a key in errors the way the user gave it (a command's
// "--rate", say), nil naming the environment variable.
func SettingsFromValues(raw map[string]string, label func(env string) string) (Settings, error) {
	return parseSettingsNamed(raw, func(env, _ string) string {
		if label == nil {
			return env
		}
		return label(env)
	})
}

func parseSettings(raw map[string]string, flagPrefix string) (Settings, error) {
	return parseSettingsNamed(raw, func(env, flagName string) string {
		if flagPrefix == "" {
			return env
		}
		return flagPrefix + flagName + " / " + env
	})
}

func parseSettingsNamed(raw map[string]string, name func(env, flagName string) string) (Settings, error) {
	s := Settings{
		TargetURL: strings.TrimSpace(raw[EnvTargetURL]),
		Model:     strings.TrimSpace(raw[EnvModel]),
		APIKey:    strings.TrimSpace(raw[EnvAPIKey]),
		Tokenizer: strings.TrimSpace(raw[EnvTokenizer]),
		SLA:       strings.TrimSpace(raw[EnvSLA]),
		Runner:    strings.TrimSpace(raw[EnvRunner]),
		ReportDir: strings.TrimSpace(raw[EnvReportDir]),
	}
	if v := strings.TrimSpace(raw[EnvDuration]); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			if n, nerr := strconv.Atoi(v); nerr == nil {
				d, err = time.Duration(n)*time.Second, nil
			}
		}
		if err != nil || d < time.Second {
			return s, fmt.Errorf("%s=%q: want a duration of at least 1s, such as 70s or 10m", name(EnvDuration, "duration"), v)
		}
		if d%time.Second != 0 {
			return s, fmt.Errorf("%s=%q: stage durations are whole seconds (inference-perf's load.stages[].duration)", name(EnvDuration, "duration"), v)
		}
		s.Duration = d
	}
	if v := strings.TrimSpace(raw[EnvRate]); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > 0) || math.IsInf(r, 1) {
			return s, fmt.Errorf("%s=%q: want a rate in requests per second greater than 0, such as 15", name(EnvRate, "rate"), v)
		}
		s.Rate = r
	}
	switch s.Runner {
	case "", RunnerNative, RunnerInferencePerfJob, RunnerNativeJob:
	default:
		return s, fmt.Errorf("%s=%q: want native, inference-perf-job or native-job", name(EnvRunner, "runner"), s.Runner)
	}
	if s.TargetURL != "" && !strings.HasPrefix(s.TargetURL, "http://") && !strings.HasPrefix(s.TargetURL, "https://") {
		return s, fmt.Errorf("%s=%q: want an http:// or https:// base URL, such as http://vllm.default:8000", name(EnvTargetURL, "target-url"), s.TargetURL)
	}
	return s, nil
}
