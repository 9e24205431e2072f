// Package framework is tailgate's suite-facing API: it resolves the target
// (URL, model, API key, tokenizer) and the runner from flags and environment
// variables, applies the overrides to a scenario, starts the simulated vLLM
// when no target is given, and runs the scenario to a report.
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

// Flags holds the raw flag values RegisterFlags bound; Settings parses them.
type Flags struct {
	targetURL, model, apiKey, tokenizer, sla, duration, rate, runner, reportDir, serverMetrics       string
	interval, drainTimeout, requestTimeout, promURL, promSelector, promToken, promInterval, baseline string
	shard                                                                                            shardFlags
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
	bind(&f.interval, "interval", EnvInterval, "timeline interval of the histogram logs, e.g. 1s (default) or 10s")
	bind(&f.drainTimeout, "drain-timeout", EnvDrainTimeout, "how long requests in flight after a stage's last send may finish (1s to 1h; default 60s)")
	bind(&f.requestTimeout, "request-timeout", EnvRequestTimeout, "per-request timeout (1s to 1h; overrides load.request_timeout)")
	bind(&f.serverMetrics, "server-metrics", EnvServerMetrics, "scrape or off: collect the server's /metrics during the run")
	bind(&f.promURL, "prometheus-url", EnvPrometheusURL, "Prometheus to query for the server's metrics instead of scraping /metrics")
	bind(&f.promSelector, "prometheus-selector", EnvPrometheusSelector, "label matchers picking the target's series in Prometheus")
	bind(&f.promToken, "prometheus-token", EnvPrometheusToken, "bearer token for Prometheus")
	bind(&f.promInterval, "prometheus-scrape-interval", EnvPrometheusInterval, "Prometheus's scrape interval of the target (default 15s)")
	bind(&f.baseline, "baseline", EnvBaseline, "baseline report directory for the SLA's regression promises")
	bindShardFlags(bind, &f.shard)
	return f
}

// Settings parses the bound flags.
func (f *Flags) Settings() (Settings, error) {
	return parseSettings(f.shard.with(map[string]string{
		EnvTargetURL: f.targetURL, EnvModel: f.model, EnvAPIKey: f.apiKey, EnvTokenizer: f.tokenizer,
		EnvSLA: f.sla, EnvDuration: f.duration, EnvRate: f.rate, EnvRunner: f.runner, EnvReportDir: f.reportDir,
		EnvInterval:     f.interval,
		EnvDrainTimeout: f.drainTimeout, EnvRequestTimeout: f.requestTimeout,
		EnvServerMetrics: f.serverMetrics, EnvPrometheusURL: f.promURL, EnvPrometheusSelector: f.promSelector, EnvPrometheusToken: f.promToken,
		EnvPrometheusInterval: f.promInterval, EnvBaseline: f.baseline,
	}), "-tailgate.")
}

// SettingsFromEnv reads the settings from environment variables through getenv (os.Getenv when nil).
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	raw := map[string]string{}
	for _, k := range []string{EnvTargetURL, EnvModel, EnvAPIKey, EnvTokenizer, EnvSLA, EnvDuration, EnvRate, EnvRunner, EnvReportDir, EnvInterval,
		EnvDrainTimeout, EnvRequestTimeout, EnvServerMetrics, EnvPrometheusURL, EnvPrometheusSelector, EnvPrometheusToken, EnvPrometheusInterval, EnvBaseline, EnvShard, EnvStartAt} {
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

		ServerMetrics: strings.TrimSpace(raw[EnvServerMetrics]),
		PrometheusURL: strings.TrimSpace(raw[EnvPrometheusURL]),

		PrometheusSelector: strings.TrimSpace(raw[EnvPrometheusSelector]),
		PrometheusToken:    strings.TrimSpace(raw[EnvPrometheusToken]),
		Baseline:           strings.TrimSpace(raw[EnvBaseline]),
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
		if r > loadgen.MaxRate {
			return s, fmt.Errorf("%s=%q: more than one load generator can send (at most %d req/s): split the load over several generators (shards), each at most %d req/s, or lower the rate",
				name(EnvRate, "rate"), v, loadgen.MaxRate, loadgen.MaxRate)
		}
		s.Rate = r
	}
	if v := strings.TrimSpace(raw[EnvInterval]); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Millisecond || d > time.Hour {
			return s, fmt.Errorf("%s=%q: want a timeline interval between 1ms and 1h, such as 1s or 10s", name(EnvInterval, "interval"), v)
		}
		s.Interval = d
	}
	var err error
	if s.DrainTimeout, err = parseTimeout(raw[EnvDrainTimeout], name(EnvDrainTimeout, "drain-timeout")); err != nil {
		return s, err
	}
	if s.RequestTimeout, err = parseTimeout(raw[EnvRequestTimeout], name(EnvRequestTimeout, "request-timeout")); err != nil {
		return s, err
	}
	if s.Sharding, err = parseShardSettings(raw, name); err != nil {
		return s, err
	}
	switch s.Runner {
	case "", RunnerNative, RunnerInferencePerfJob, RunnerNativeJob:
	default:
		return s, fmt.Errorf("%s=%q: want native, inference-perf-job or native-job", name(EnvRunner, "runner"), s.Runner)
	}
	if v := strings.TrimSpace(raw[EnvPrometheusInterval]); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return s, fmt.Errorf("%s=%q: want Prometheus's scrape interval of the target, at least 1s, such as 15s or 30s", name(EnvPrometheusInterval, "prometheus-scrape-interval"), v)
		}
		s.PrometheusInterval = d
	}
	if s.ServerMetrics != "" && s.ServerMetrics != "scrape" && s.ServerMetrics != "off" {
		return s, fmt.Errorf("%s=%q: want scrape or off (or leave it empty to scrape when /metrics serves vLLM)", name(EnvServerMetrics, "server-metrics"), s.ServerMetrics)
	}
	if err := checkTargetURL(s.TargetURL); err != nil {
		return s, fmt.Errorf("%s=%q: %w", name(EnvTargetURL, "target-url"), RedactURL(s.TargetURL), err)
	}
	return s, nil
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
