package framework

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/servermetrics"
	"github.com/tailgate-dev/tailgate/framework/tokenizer"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// Runner runs a scenario and returns everything it measured. The native
// engine (NativeRunner) and the Kubernetes Job runners of framework/cluster
// satisfy it; a Registry builds them by name.
type Runner interface {
	Run(ctx context.Context, cfg scenarios.Config) (Measurement, error)
}

// Measurement is what a run measured: the report (nil when the run failed
// before any load) and, when the scenario asks for them
// (report.request_lifecycle.per_request), the per-request records.
type Measurement struct {
	Report   *report.Report
	Requests []loadgen.RequestRecord
}

// NativeRunner runs scenarios in-process with the native load engine.
type NativeRunner struct {
	// Tokenizer, when set, is used instead of loading the scenario's tokenizer.
	Tokenizer tokenizer.Tokenizer
	// TokenizerOptions configures tokenizer loading (hub cache, npm fallback, logger).
	TokenizerOptions tokenizer.LoadOptions
	// Progress, when set, is called every ProgressEvery (default 5 s) while load runs.
	Progress      func(loadgen.Progress)
	ProgressEvery time.Duration
	// SkipPreflight skips the GET /v1/models check of the target before the load.
	SkipPreflight bool
	// HTTPClient, when set, is used for the preflight check and the /metrics scrapes.
	HTTPClient *http.Client
	// TimelineInterval is the report's timeline interval; 0 means 1 s.
	TimelineInterval time.Duration
	// DrainTimeout bounds the wait for requests in flight after a stage's
	// last send; 0 means loadgen.DefaultDrainTimeout.
	DrainTimeout time.Duration
	// ServerMetrics is the server metrics mode: ServerMetricsAuto (""),
	// ServerMetricsScrape or ServerMetricsOff.
	ServerMetrics string
	// ServerMetricsInterval is the /metrics scrape interval; 0 means 1 s.
	ServerMetricsInterval time.Duration
	// Prometheus, when its URL is set, is queried for the server metrics
	// instead of scraping /metrics.
	Prometheus servermetrics.Prometheus
	// Sharding runs one shard of a sharded run (settings_shard.go).
	Sharding ShardSettings

	mu    sync.Mutex
	toks  map[string]tokenizer.Tokenizer
	synth map[string]*tokenizer.Synthesizer
}

// Run drives cfg against its server.base_url. It fails before any load when
// the scenario cannot run natively or the target refuses it (unreachable,
// API key rejected, model not served); once load has started it returns the
// report, marked Partial when ctx ended early, and the per-request records
// when the scenario asks for them.
func (r *NativeRunner) Run(ctx context.Context, cfg scenarios.Config) (Measurement, error) {
	opts, err := r.LoadgenOptions(ctx, cfg)
	if err != nil {
		return Measurement{}, redactTarget(err, cfg)
	}
	finishServerMetrics, err := r.startServerMetrics(ctx, &opts)
	if err != nil {
		return Measurement{}, redactTarget(fmt.Errorf("%s: %w", scenarioName(cfg), err), cfg)
	}
	res, err := loadgen.Run(ctx, opts)
	finishServerMetrics(res)
	if res == nil {
		return Measurement{}, redactTarget(fmt.Errorf("%s: %w", scenarioName(cfg), err), cfg)
	}
	m := Measurement{Report: res.Report, Requests: res.Requests}
	labelShard(m.Report, cfg)
	if err != nil {
		return m, redactTarget(fmt.Errorf("%s: %w", scenarioName(cfg), err), cfg)
	}
	return m, nil
}

// redactTarget removes the target URL's password from err, wherever the
// message embeds the URL (the URL parser and HTTP client quote it whole).
func redactTarget(err error, cfg scenarios.Config) error {
	if cfg.Server == nil {
		return scenarios.RedactError(err)
	}
	return scenarios.RedactError(err, cfg.Server.BaseURL)
}

func scenarioName(cfg scenarios.Config) string {
	if cfg.Name != "" {
		return "scenario " + cfg.Name
	}
	return "scenario"
}

// LoadgenOptions translates a scenario into the native load engine's options,
// loading the tokenizer and checking the target (unless SkipPreflight).
func (r *NativeRunner) LoadgenOptions(ctx context.Context, cfg scenarios.Config) (loadgen.Options, error) {
	name := scenarioName(cfg)
	var o loadgen.Options
	if err := nativeSupports(cfg); err != nil {
		return o, fmt.Errorf("%s: %w", name, err)
	}
	s := cfg.Server
	o.BaseURL = strings.TrimRight(s.BaseURL, "/")
	o.Model = s.ModelName
	o.APIKey = s.APIKey
	o.IgnoreEOS = s.IgnoresEOS()
	o.API = loadgen.API(cfg.API.Type)
	o.Streaming = cfg.API.Streaming
	o.Headers = cfg.API.Headers
	if err := r.dataOptions(ctx, cfg, &o); err != nil {
		return o, fmt.Errorf("%s: %w", name, err)
	}
	loadOptions(cfg.Load, &o)
	rl := cfg.Report.RequestLifecycle
	o.PerRequest = rl.PerRequest
	o.MaxErrorMessages = rl.MaxErrorMessages
	var err error
	if o.Goodput, err = goodput(cfg.Report.Goodput); err != nil {
		return o, fmt.Errorf("%s: %w", name, err)
	}
	o.Progress, o.ProgressEvery = r.Progress, r.ProgressEvery
	o.TimelineInterval = r.TimelineInterval
	o.DrainTimeout = r.DrainTimeout
	if err := r.Sharding.apply(&o, cfg); err != nil {
		return o, fmt.Errorf("%s: %w", name, err)
	}

	if !r.SkipPreflight {
		model, err := Preflight(ctx, PreflightInput{BaseURL: o.BaseURL, Model: o.Model, APIKey: o.APIKey, Headers: o.Headers, Client: r.HTTPClient})
		if err != nil {
			return o, fmt.Errorf("%s: %w", name, err)
		}
		o.Model = model
	}
	if o.Model == "" {
		return o, fmt.Errorf("%s: server.model_name is empty: name the model (TAILGATE_MODEL)", name)
	}
	return o, nil
}

// nativeSupports refuses what the native engine cannot run, naming the key
// and the runner that can.
func nativeSupports(cfg scenarios.Config) error {
	switch {
	case cfg.Server == nil || cfg.Server.BaseURL == "":
		return fmt.Errorf("server.base_url is not set: give a target URL (TAILGATE_TARGET_URL) or leave it empty to use the simulated vLLM")
	case len(cfg.CircuitBreakers) > 0 || len(cfg.Load.CircuitBreakers) > 0:
		return fmt.Errorf("circuit_breakers are not supported by the native engine; remove them or use the inference-perf-job runner")
	case len(cfg.Load.LoRATrafficSplit) > 0:
		return fmt.Errorf("load.lora_traffic_split is not supported by the native engine; use the inference-perf-job runner")
	}
	switch cfg.Data.Type {
	case scenarios.DataSynthetic, scenarios.DataRandom, scenarios.DataMock, "":
	default:
		return fmt.Errorf("data.type %q is not supported by the native engine: use synthetic, random or mock (or the inference-perf-job runner)", cfg.Data.Type)
	}
	switch cfg.Load.Type {
	case scenarios.LoadConstant, scenarios.LoadPoisson, scenarios.LoadConcurrent, "":
	default:
		return fmt.Errorf("load.type %q is not supported by the native engine: use constant, poisson or concurrent (or the inference-perf-job runner)", cfg.Load.Type)
	}
	return nil
}

// dataOptions sets the prompt kind, the length distributions and, for
// synthesized prompts, the synthesizer of the scenario's tokenizer.
func (r *NativeRunner) dataOptions(ctx context.Context, cfg scenarios.Config, o *loadgen.Options) error {
	o.Data = loadgen.DataKind(cmp.Or(cfg.Data.Type, scenarios.DataMock))
	if o.Data == loadgen.DataMock {
		return nil
	}
	var err error
	if o.Input, err = lengths(cfg.Data.InputDistribution); err != nil {
		return fmt.Errorf("data.input_distribution: %w", err)
	}
	if o.Output, err = lengths(cfg.Data.OutputDistribution); err != nil {
		return fmt.Errorf("data.output_distribution: %w", err)
	}
	ref, tokOpts := DefaultTokenizer, r.TokenizerOptions
	if t := cfg.Tokenizer; t != nil {
		ref = cmp.Or(t.PretrainedModelNameOrPath, ref)
		tokOpts.Token = cmp.Or(t.Token, tokOpts.Token)
	}
	synth, err := r.synthesizer(ctx, ref, cfg.Data.CorpusFilePath, tokOpts)
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	o.Prompts = synth
	return nil
}

// loadOptions sets the arrival process, the stages or sweep, the workers and
// the request timeout and seed, with inference-perf's defaults.
func loadOptions(l scenarios.LoadConfig, o *loadgen.Options) {
	o.Load = loadgen.LoadKind(cmp.Or(l.Type, scenarios.LoadConstant))
	o.Interval = seconds(l.Interval)
	for _, st := range l.Stages {
		o.Stages = append(o.Stages, loadgen.Stage{
			Rate: st.Rate, Duration: time.Duration(st.Duration) * time.Second,
			NumRequests: st.NumRequests, ConcurrencyLevel: st.ConcurrencyLevel,
		})
	}
	if sw := l.Sweep; sw != nil {
		o.Sweep = &loadgen.Sweep{
			Type: string(sw.Type), NumRequests: sw.NumRequests, Timeout: seconds(sw.Timeout),
			NumStages: sw.NumStages, StageDuration: time.Duration(sw.StageDuration) * time.Second,
			SaturationPercentile: sw.SaturationPercentile,
		}
	}
	o.Workers = l.Workers() // inference-perf's default: the host's CPU count
	o.WorkerMaxConcurrency = l.WorkerMaxConcurrency
	o.MaxTCPConnections = l.WorkerMaxTCPConnections
	if l.RequestTimeout != nil {
		o.RequestTimeout = seconds(*l.RequestTimeout)
	}
	o.Seed = l.BaseSeed
	if o.Seed == 0 {
		o.Seed = time.Now().UnixMilli() // inference-perf's default: the clock
	}
}

// goodput converts report.goodput.constraints into the engine's thresholds by metric.
func goodput(g *scenarios.GoodputConfig) (map[report.Metric]float64, error) {
	if g == nil || len(g.Constraints) == 0 {
		return nil, nil
	}
	out := map[report.Metric]float64{}
	for k, v := range g.Constraints {
		m, ok := report.GoodputMetric(k)
		if !ok {
			return nil, fmt.Errorf("report.goodput.constraints.%s: unknown metric; use %s", k, strings.Join(report.GoodputKeys(), ", "))
		}
		out[m] = v
	}
	return out, nil
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// lengths converts a scenario distribution; nil takes inference-perf's defaults.
func lengths(d *scenarios.Distribution) (loadgen.Lengths, error) {
	if d == nil {
		return loadgen.Lengths{Kind: loadgen.LengthNormal, Min: 10, Max: 1024, Mean: 512, StdDev: 200}, nil
	}
	l := loadgen.Lengths{Kind: loadgen.LengthKind(d.Type), Min: d.Min, Max: d.Max, Mean: d.Mean, StdDev: d.StdDev}
	if l.Kind == "" {
		l.Kind = loadgen.LengthNormal
	}
	if d.StdDev == 0 && d.Variance != nil {
		l.StdDev = math.Sqrt(*d.Variance)
	}
	return l, l.Validate()
}

func (r *NativeRunner) synthesizer(ctx context.Context, ref, corpus string, opts tokenizer.LoadOptions) (*tokenizer.Synthesizer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := ref + "\x00" + corpus
	if s, ok := r.synth[key]; ok {
		return s, nil
	}
	tok := r.Tokenizer
	if tok == nil {
		tok = r.toks[ref]
	}
	if tok == nil {
		var err error
		if tok, err = tokenizer.Load(ctx, ref, opts); err != nil {
			return nil, err
		}
		if r.toks == nil {
			r.toks = map[string]tokenizer.Tokenizer{}
		}
		r.toks[ref] = tok
	}
	s, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{CorpusFile: corpus})
	if err != nil {
		return nil, err
	}
	if r.synth == nil {
		r.synth = map[string]*tokenizer.Synthesizer{}
	}
	r.synth[key] = s
	return s, nil
}

// PreflightInput names the target to check.
type PreflightInput struct {
	BaseURL string
	// Model is the model the scenario requests; empty takes the first one served.
	Model   string
	APIKey  string
	Headers map[string]string
	Client  *http.Client
}

// Preflight asks the target for GET /v1/models before any load, so an
// unreachable target, a rejected API key or a model the server does not serve
// fails at once with the fix in the message instead of as a run of errors.
// It returns the model to request. A server without /v1/models passes.
func Preflight(ctx context.Context, in PreflightInput) (string, error) {
	c := in.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	target := RedactURL(in.BaseURL)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.BaseURL+"/v1/models", nil)
	if err != nil { // the parser's error quotes the URL, password and all
		return "", fmt.Errorf("target %s: %w", target, scenarios.RedactError(err, in.BaseURL))
	}
	for k, v := range in.Headers {
		req.Header.Set(k, v)
	}
	if in.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+in.APIKey)
	}
	resp, err := c.Do(req)
	if err != nil {
		if parent.Err() != nil {
			return "", fmt.Errorf("interrupted before the load started: %w", context.Cause(parent))
		}
		return "", fmt.Errorf("target %s is unreachable (Connection Error): %v; check TAILGATE_TARGET_URL", target, scenarios.RedactText(err.Error(), in.BaseURL))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return servedModel(in, target, resp.StatusCode, body)
}

// servedModel reads the answer to GET /v1/models: the model to request, or
// why the target refuses the run and the fix.
func servedModel(in PreflightInput, target string, status int, body []byte) (string, error) {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		hint := "set TAILGATE_API_KEY"
		if in.APIKey != "" {
			hint = "check TAILGATE_API_KEY"
		}
		return "", fmt.Errorf("target %s rejected the request with HTTP %d (%s): %s", target, status, errorMessage(body), hint)
	case status != http.StatusOK:
		if in.Model == "" {
			return "", fmt.Errorf("target %s answered GET /v1/models with HTTP %d, so the model cannot be discovered: set server.model_name (TAILGATE_MODEL)", target, status)
		}
		return in.Model, nil
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return "", fmt.Errorf("target %s: GET /v1/models did not return an OpenAI model list: %v", target, err)
	}
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
		if m.ID == in.Model {
			return in.Model, nil
		}
	}
	if in.Model == "" && len(ids) > 0 {
		return ids[0], nil
	}
	return "", fmt.Errorf("target %s does not serve model %q (Model Not Found); it serves %q: set TAILGATE_MODEL or server.model_name", target, in.Model, ids)
}

// RedactURL returns u with the password of its user info, if any, replaced
// (scenarios.RedactURL), also when u does not parse as a URL.
func RedactURL(u string) string { return scenarios.RedactURL(u) }

// errorMessage extracts error.message from an OpenAI error body.
func errorMessage(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		if e.Error.Message != "" {
			return e.Error.Message
		}
		if e.Message != "" {
			return e.Message
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
