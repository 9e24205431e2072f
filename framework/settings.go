// Package framework is tailgate's suite-facing API: it reads the settings
// (target URL, model, API key, tokenizer, overrides) from flags and
// environment variables, builds the runner they name from a Registry (the
// native engine; framework/cluster registers the Kubernetes Job runners),
// applies the overrides to a scenario through the scenarios helpers, starts
// the simulated vLLM when no target is given, and runs the scenario to a
// judged report directory (RunPipeline).
package framework

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/scenarios"
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
	// EnvServerMetrics is scrape or off; empty scrapes /metrics when it serves vLLM's families.
	EnvServerMetrics = "TAILGATE_SERVER_METRICS"
	// EnvPrometheusURL, when set, queries this Prometheus for the server metrics instead of scraping.
	EnvPrometheusURL = "TAILGATE_PROMETHEUS_URL"
	// EnvPrometheusSelector picks the target's series, e.g. {namespace="default",model_name="qwen3-8b"}.
	EnvPrometheusSelector = "TAILGATE_PROMETHEUS_SELECTOR"
	// EnvPrometheusToken is sent to Prometheus as a bearer token; it is never printed.
	EnvPrometheusToken = "TAILGATE_PROMETHEUS_TOKEN"
	// EnvPrometheusInterval is Prometheus's scrape interval of the target (default 15s), the query step.
	EnvPrometheusInterval = "TAILGATE_PROMETHEUS_SCRAPE_INTERVAL"
	EnvInterval           = "TAILGATE_INTERVAL"
	// EnvBaseline is the baseline report directory; it overrides the SLA file's regression.baseline.
	EnvBaseline = "TAILGATE_BASELINE"
	// EnvDrainTimeout bounds the wait for requests in flight after a stage's last send.
	EnvDrainTimeout = "TAILGATE_DRAIN_TIMEOUT"
	// EnvRequestTimeout bounds each request (overrides load.request_timeout).
	EnvRequestTimeout = "TAILGATE_REQUEST_TIMEOUT"
)

// Bounds of the drain and request timeouts a setting may give.
const (
	MinTimeout = time.Second
	MaxTimeout = time.Hour
)

// RunnerNative names the runner every Registry holds: tailgate's load engine
// in this process. Other runners are registered by name (framework/cluster's
// Register adds the Kubernetes Job runners).
const RunnerNative = "native"

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
	// Runner names a registered runner; empty means native.
	Runner string
	// RunnerSettings are the raw values of the runner's own settings (the
	// cluster settings of the Job runners), checked when the settings were read.
	RunnerSettings Values
	// ReportDir is where report files, the JUnit file and the summary go.
	ReportDir string
	// Interval is the length of one timeline interval (interval histogram
	// logs, per-interval counters); 0 means 1 s.
	Interval time.Duration
	// DrainTimeout bounds the wait for requests still in flight after a
	// stage's last send (native engine); 0 means loadgen.DefaultDrainTimeout.
	DrainTimeout time.Duration
	// RequestTimeout overrides load.request_timeout; 0 keeps the scenario's.
	RequestTimeout time.Duration
	// ServerMetrics is the server metrics mode: "" (scrape when /metrics serves vLLM), scrape or off.
	ServerMetrics string
	// PrometheusURL, PrometheusSelector and PrometheusToken name a Prometheus to query for them.
	PrometheusURL, PrometheusSelector, PrometheusToken string
	// PrometheusInterval is Prometheus's scrape interval of the target; 0 means 15 s.
	PrometheusInterval time.Duration
	// Baseline is the report directory regression promises compare with; it
	// overrides the SLA file's regression.baseline.
	Baseline string
	// Sharding places the run among the shards of one run (settings_shard.go).
	Sharding ShardSettings
}

// String shows the settings with the API key and any password in the target URL redacted.
func (s Settings) String() string {
	key := ""
	if s.APIKey != "" {
		key = "<redacted>"
	}
	return fmt.Sprintf("target=%q model=%q api_key=%q tokenizer=%q sla=%q duration=%s rate=%g runner=%q report_dir=%q interval=%s drain_timeout=%s request_timeout=%s",
		RedactURL(s.TargetURL), s.Model, key, s.Tokenizer, s.SLA, s.Duration, s.Rate, s.Runner, s.ReportDir, s.Interval, s.DrainTimeout, s.RequestTimeout)
}

// commonSettings are the settings every run reads, whatever its runner.
func commonSettings() []Setting {
	return []Setting{
		{Flag: "target-url", Env: EnvTargetURL, Usage: "base URL of the server under test; empty starts the simulated vLLM"},
		{Flag: "model", Env: EnvModel, Usage: "model name to request (overrides server.model_name)"},
		{Flag: "api-key", Env: EnvAPIKey, Usage: "API key sent as a bearer token", Secret: true},
		{Flag: "tokenizer", Env: EnvTokenizer, Usage: "tokenizer.json, model directory or Hugging Face model id"},
		{Flag: "sla", Env: EnvSLA, Usage: "SLA file to judge the run against; without one only the implied promises are judged"},
		{Flag: "duration", Env: EnvDuration, Usage: "override every stage's duration, e.g. 70s"},
		{Flag: "rate", Env: EnvRate, Usage: "override every stage's rate in requests per second (a sweep becomes one stage at this rate)"},
		{Flag: "runner", Env: EnvRunner, Usage: "runner"},
		{Flag: "report-dir", Env: EnvReportDir, Usage: "directory for the report files, junit.xml and summary.md"},
		{Flag: "interval", Env: EnvInterval, Usage: "timeline interval of the histogram logs, e.g. 1s (default) or 10s"},
		{Flag: "drain-timeout", Env: EnvDrainTimeout, Usage: "how long requests in flight after a stage's last send may finish, 1s to 1h; the rest fail as \"Drain Timeout\" and the run is partial (default 60s)"},
		{Flag: "request-timeout", Env: EnvRequestTimeout, Usage: "per-request timeout, 1s to 1h (default the scenario's load.request_timeout, else 5m)"},
		{Flag: "server-metrics", Env: EnvServerMetrics, Usage: "scrape or off: collect the server's /metrics during the run (default: scrape when it serves vLLM's families)"},
		{Flag: "prometheus-url", Env: EnvPrometheusURL, Usage: "Prometheus to query for the server's metrics instead of scraping /metrics"},
		{Flag: "prometheus-selector", Env: EnvPrometheusSelector, Usage: "label matchers picking the target's series in Prometheus"},
		{Flag: "prometheus-token", Env: EnvPrometheusToken, Usage: "bearer token for Prometheus", Secret: true},
		{Flag: "prometheus-scrape-interval", Env: EnvPrometheusInterval, Usage: "Prometheus's scrape interval of the target (default 15s)"},
		{Flag: "baseline", Env: EnvBaseline, Usage: "baseline report directory for the SLA's regression promises (overrides regression.baseline)"},
		{Flag: "shard", Env: EnvShard, Usage: "run shard I of N (I/N, 0-based) of the load, e.g. 0/4; needs --start-at"},
		{Flag: "start-at", Env: EnvStartAt, Usage: "shared start time of every shard (RFC 3339), e.g. 2026-12-01T15:00:00Z"},
	}
}

// FlagSettings lists every setting a flag may give: the common ones (the
// runner's usage naming the registered runners) and every runner's own.
func (r *Registry) FlagSettings() []Setting {
	settings := commonSettings()
	for i := range settings {
		if settings[i].Env == EnvRunner {
			settings[i].Usage = r.runnerUsage()
		}
	}
	return append(settings, r.Settings()...)
}

// Flags holds the -tailgate.* flags RegisterFlags bound; Settings parses them.
type Flags struct {
	reg   *Registry
	bound *BoundFlags
}

// RegisterFlags binds the -tailgate.* flags of the common settings and of
// every registered runner's settings on fs (a suite passes flag.CommandLine,
// which Ginkgo's test binary parses). Each flag's default is its environment
// variable, read when RegisterFlags is called, so the flag wins over the
// environment.
func (r *Registry) RegisterFlags(fs *flag.FlagSet) *Flags {
	return &Flags{reg: r, bound: BindFlags(fs, "tailgate.", r.FlagSettings(), os.Getenv)}
}

// RegisterFlags binds the -tailgate.* flags of a registry holding only the
// native runner (see Registry.RegisterFlags).
func RegisterFlags(fs *flag.FlagSet) *Flags { return NewRegistry().RegisterFlags(fs) }

// Registry is the registry whose runners the flags offer.
func (f *Flags) Registry() *Registry { return f.reg }

// Settings parses the bound flags. An error names the flag when it was
// given, the environment variable otherwise.
func (f *Flags) Settings() (Settings, error) {
	return f.reg.parse(f.bound.Raw(), f.bound.Label("-"))
}

// SettingsFromEnv reads the settings from environment variables through
// getenv (os.Getenv when nil).
func (r *Registry) SettingsFromEnv(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	raw := map[string]string{}
	for _, s := range r.FlagSettings() {
		raw[s.Env] = getenv(s.Env)
	}
	return r.parse(raw, nil)
}

// SettingsFromEnv reads the settings of a registry holding only the native
// runner from environment variables (see Registry.SettingsFromEnv).
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	return NewRegistry().SettingsFromEnv(getenv)
}

// SettingsFromValues parses raw values keyed by environment variable name;
// label names a key in errors the way the user gave it (a command's
// "--rate", say), nil naming the environment variable.
func (r *Registry) SettingsFromValues(raw map[string]string, label func(env string) string) (Settings, error) {
	return r.parse(raw, label)
}

// SettingsFromValues parses raw values with a registry holding only the
// native runner (see Registry.SettingsFromValues).
func SettingsFromValues(raw map[string]string, label func(env string) string) (Settings, error) {
	return NewRegistry().SettingsFromValues(raw, label)
}

// parse reads the common settings from raw, checks the runner against the
// registry and reads and checks the runner's own settings.
func (r *Registry) parse(raw map[string]string, label func(env string) string) (Settings, error) {
	name := label
	if name == nil {
		name = func(env string) string { return env }
	}
	s, err := parseCommon(raw, name)
	if err != nil {
		return s, err
	}
	return s, r.selectRunner(&s, raw, name)
}

// parseCommon reads and checks the common settings.
func parseCommon(raw map[string]string, name func(env string) string) (Settings, error) {
	s := Settings{
		TargetURL: strings.TrimSpace(raw[EnvTargetURL]),
		Model:     strings.TrimSpace(raw[EnvModel]),
		APIKey:    strings.TrimSpace(raw[EnvAPIKey]),
		Tokenizer: strings.TrimSpace(raw[EnvTokenizer]),
		SLA:       strings.TrimSpace(raw[EnvSLA]),
		Runner:    strings.TrimSpace(raw[EnvRunner]),
		ReportDir: strings.TrimSpace(raw[EnvReportDir]),

		ServerMetrics: strings.TrimSpace(raw[EnvServerMetrics]),
		PrometheusURL: strings.TrimSpace(raw[EnvPrometheusURL]),

		PrometheusSelector: strings.TrimSpace(raw[EnvPrometheusSelector]),
		PrometheusToken:    strings.TrimSpace(raw[EnvPrometheusToken]),
		Baseline:           strings.TrimSpace(raw[EnvBaseline]),
	}
	if err := parseLoadOverrides(&s, raw, name); err != nil {
		return s, err
	}
	return s, parseTimings(&s, raw, name)
}

// parseLoadOverrides reads the duration and rate overrides.
func parseLoadOverrides(s *Settings, raw map[string]string, name func(env string) string) error {
	if v := strings.TrimSpace(raw[EnvDuration]); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			if n, nerr := strconv.Atoi(v); nerr == nil {
				d, err = time.Duration(n)*time.Second, nil
			}
		}
		if err != nil || d < time.Second {
			return fmt.Errorf("%s=%q: want a duration of at least 1s, such as 70s or 10m", name(EnvDuration), v)
		}
		if d%time.Second != 0 {
			return fmt.Errorf("%s=%q: stage durations are whole seconds (inference-perf's load.stages[].duration)", name(EnvDuration), v)
		}
		s.Duration = d
	}
	if v := strings.TrimSpace(raw[EnvRate]); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > 0) || math.IsInf(r, 1) {
			return fmt.Errorf("%s=%q: want a rate in requests per second greater than 0, such as 15", name(EnvRate), v)
		}
		if r > loadgen.MaxRate {
			return fmt.Errorf("%s=%q: more than one load generator can send (at most %d req/s): split the load over several generators (shards), each at most %d req/s, or lower the rate",
				name(EnvRate), v, loadgen.MaxRate, loadgen.MaxRate)
		}
		s.Rate = r
	}
	return nil
}

// parseTimings reads the interval, timeouts and server metrics settings and
// checks the target URL.
func parseTimings(s *Settings, raw map[string]string, name func(env string) string) error {
	if v := strings.TrimSpace(raw[EnvInterval]); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > time.Hour {
			return fmt.Errorf("%s=%q: want a timeline interval between 1ms and 1h, such as 1s or 10s", name(EnvInterval), v)
		}
		s.Interval = d
	}
	var err error
	if s.DrainTimeout, err = parseTimeout(raw[EnvDrainTimeout], name(EnvDrainTimeout)); err != nil {
		return err
	}
	if s.RequestTimeout, err = parseTimeout(raw[EnvRequestTimeout], name(EnvRequestTimeout)); err != nil {
		return err
	}
	if s.Sharding, err = parseShardSettings(raw, name); err != nil {
		return err
	}
	if v := strings.TrimSpace(raw[EnvPrometheusInterval]); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return fmt.Errorf("%s=%q: want Prometheus's scrape interval of the target, at least 1s, such as 15s or 30s", name(EnvPrometheusInterval), v)
		}
		s.PrometheusInterval = d
	}
	if s.ServerMetrics != "" && s.ServerMetrics != "scrape" && s.ServerMetrics != "off" {
		return fmt.Errorf("%s=%q: want scrape or off (or leave it empty to scrape when /metrics serves vLLM)", name(EnvServerMetrics), s.ServerMetrics)
	}
	if err := checkTargetURL(s.TargetURL); err != nil {
		return fmt.Errorf("%s=%q: %w", name(EnvTargetURL), RedactURL(s.TargetURL), err)
	}
	return nil
}

// checkTargetURL refuses a target that is not an http(s) URL with a host; the
// error repeats no part of the value (it may hold a password).
func checkTargetURL(target string) error {
	if target == "" {
		return nil
	}
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		return fmt.Errorf("want an http:// or https:// base URL, such as http://vllm.default:8000")
	}
	u, err := url.Parse(target)
	if err != nil {
		problem := urlProblem(err)
		if strings.Contains(problem, "userinfo") {
			problem += "; percent-encode reserved characters in the user name and password"
		}
		return fmt.Errorf("not a valid URL (%s)", problem)
	}
	if u.Host == "" {
		return fmt.Errorf("no host; want a base URL such as http://vllm.default:8000")
	}
	return nil
}

// urlProblem is the URL parser's reason without the URL it quotes.
func urlProblem(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return scenarios.RedactText(ue.Err.Error())
	}
	return "unparsable"
}

// parseTimeout reads a timeout setting ("90s", "2m", or whole seconds);
// empty means 0 (the default). It must lie in [MinTimeout, MaxTimeout].
func parseTimeout(v, name string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, nerr := strconv.Atoi(v); nerr == nil {
			d, err = time.Duration(n)*time.Second, nil
		}
	}
	if err != nil || d < MinTimeout || d > MaxTimeout {
		return 0, fmt.Errorf("%s=%q: want a duration from 1s to 1h, such as 90s or 5m", name, v)
	}
	return d, nil
}
