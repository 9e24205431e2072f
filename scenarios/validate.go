package scenarios

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// Validate applies inference-perf's validation rules (its pydantic models and the checks
// it makes before the first request) and a few more that catch nonsense it would only
// find at run time (negative counts, a normal mean outside [min, max]). Every problem is
// reported, each naming the dotted field path and the fix; the error starts with
// "scenario <name>:" when c has a Name. A config without a server section validates:
// inference-perf refuses it only when it starts, and runners supply the target.
func (c Config) Validate() error {
	ps := c.problems()
	if len(ps) == 0 {
		return nil
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	err := errors.Join(errs...)
	if c.Name != "" {
		return fmt.Errorf("scenario %s: %w", c.Name, err)
	}
	return err
}

// problems lists everything Validate finds.
func (c Config) problems() []problem {
	v := &problems{}
	c.API.validate(v)
	c.Data.validate(v, c.Load.Type)
	c.Load.validate(v, c.CircuitBreakers)
	if c.Metrics != nil {
		c.Metrics.validate(v)
	}
	c.Report.validate(v)
	if c.Storage != nil {
		c.Storage.validate(v)
	}
	if c.Server != nil {
		c.Server.validate(v)
	}
	for i, cb := range c.CircuitBreakers {
		cb.validate(v, fmt.Sprintf("circuit_breakers[%d]", i))
	}
	return v.list
}

// problem is one validation failure at a dotted path.
type problem struct{ path, msg string }

// Error reads "path: msg", or "path (…) …" when msg continues the path, as in
// "data.input_distribution.min (4096) > max (128)".
func (p problem) Error() string {
	if strings.HasPrefix(p.msg, "(") {
		return p.path + " " + p.msg
	}
	return p.path + ": " + p.msg
}

type problems struct{ list []problem }

func (p *problems) add(path, format string, args ...any) {
	p.list = append(p.list, problem{path, fmt.Sprintf(format, args...)})
}

func oneOf[T ~string](p *problems, path string, v T, allowed ...T) {
	if !slices.Contains(allowed, v) {
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		p.add(path, "%q is not one of %s", string(v), strings.Join(names, ", "))
	}
}

func (a APIConfig) validate(p *problems) {
	oneOf(p, "api.type", a.Type, APICompletion, APIChat, APIAnthropicMessages)
	if a.SLOUnit != "" {
		oneOf(p, "api.slo_unit", a.SLOUnit, "s", "ms", "us")
	}
	if a.ResponseFormat != nil {
		oneOf(p, "api.response_format.type", a.ResponseFormat.Type, "json_schema", "json_object")
	}
}

func (d DataConfig) validate(p *problems, load LoadType) {
	oneOf(p, "data.type", d.Type, DataMock, DataShareGPT, DataSynthetic, DataRandom, DataSharedPrefix,
		DataCNNDailyMail, DataInfinityInstruct, DataBillsumConversations, DataOTelTraceReplay,
		DataWekaTraceReplay, DataConversationReplay, DataVisionArena)
	if d.UseChatTemplate && d.Type != DataRandom {
		p.add("data.use_chat_template", "only the random generator supports it (data.type is %s); unset it or set data.type: random", d.Type)
	}
	if (d.Type == DataOTelTraceReplay || d.Type == DataWekaTraceReplay) && load != LoadTraceSessionReplay {
		p.add("data.type", "%s requires load.type: trace_session_replay (load.type is %s)", d.Type, load)
	}
	// synthetic and random draw lengths with inference-perf's generate_distribution, which
	// knows fewer shapes and wants min <= mean <= max for a normal.
	sampled := d.Type == DataSynthetic || d.Type == DataRandom
	for _, x := range []struct {
		path string
		d    *Distribution
	}{{"data.input_distribution", d.InputDistribution}, {"data.output_distribution", d.OutputDistribution}} {
		if x.d == nil {
			continue
		}
		x.d.validate(p, x.path)
		if sampled {
			if x.d.Type == DistSkewNormal || x.d.Type == DistPoisson {
				p.add(x.path+".type", "%s is not supported by the %s generator; use normal, uniform, lognormal or fixed", x.d.Type, d.Type)
			}
			if x.d.Type == DistNormal && (x.d.Mean < float64(x.d.Min) || x.d.Mean > float64(x.d.Max)) {
				p.add(x.path+".mean", "%g is outside [min %d, max %d]; a normal length distribution needs min <= mean <= max", x.d.Mean, x.d.Min, x.d.Max)
			}
		}
	}
	// Checks inference-perf makes before it starts the generator.
	if sampled && d.Trace == nil {
		if d.InputDistribution == nil {
			p.add("data.input_distribution", "is required by the %s generator when there is no data.trace", d.Type)
		}
		if d.OutputDistribution == nil {
			p.add("data.output_distribution", "is required by the %s generator when there is no data.trace", d.Type)
		}
	}
	for _, need := range []struct {
		t       DataType
		section string
		missing bool
	}{
		{DataSharedPrefix, "data.shared_prefix", d.SharedPrefix == nil},
		{DataConversationReplay, "data.conversation_replay", d.ConversationReplay == nil},
		{DataVisionArena, "data.visionarena", d.VisionArena == nil},
	} {
		if d.Type == need.t && need.missing {
			p.add(need.section, "is required by the %s generator", d.Type)
		}
	}
	if sp := d.SharedPrefix; sp != nil {
		sp.validate(p)
	}
	if cr := d.ConversationReplay; cr != nil {
		cr.validate(p)
	}
	if d.Trace != nil {
		d.Trace.validate(p, "data.trace")
	}
}

func (d Distribution) validate(p *problems, path string) {
	oneOf(p, path+".type", d.Type, DistNormal, DistSkewNormal, DistLognormal, DistUniform, DistPoisson, DistFixed)
	if d.Variance != nil && d.StdDev > 0 {
		p.add(path, "both std_dev (%g) and variance (%g) are set; give one (std_dev defaults to 200, so set std_dev: 0 to use variance)", d.StdDev, *d.Variance)
	}
	if d.Variance != nil && *d.Variance < 0 {
		p.add(path+".variance", "%g is negative; a variance is >= 0", *d.Variance)
	}
	if d.Min > d.Max {
		p.add(path+".min", "(%d) > max (%d); make min <= max", d.Min, d.Max)
	}
	if d.StdDev < 0 {
		p.add(path+".std_dev", "%g is negative; a standard deviation is >= 0", d.StdDev)
	}
	if d.TotalCount != nil && *d.TotalCount < 0 {
		p.add(path+".total_count", "%d is negative", *d.TotalCount)
	}
}

func (s SharedPrefix) validate(p *problems) {
	const path = "data.shared_prefix"
	if s.NumGroups <= 0 {
		p.add(path+".num_unique_system_prompts", "%d; give at least 1 group", s.NumGroups)
	}
	if s.NumPromptsPerGroup <= 0 {
		p.add(path+".num_users_per_system_prompt", "%d; give at least 1 prompt per group", s.NumPromptsPerGroup)
	}
	for _, l := range []struct {
		name string
		l    Length
	}{{"system_prompt_len", s.SystemPromptLen}, {"question_len", s.QuestionLen}, {"output_len", s.OutputLen}} {
		if l.l.Dist != nil {
			l.l.Dist.validate(p, path+"."+l.name)
		} else if l.l.Fixed < 0 {
			p.add(path+"."+l.name, "%d is negative; give a token count >= 0", l.l.Fixed)
		}
	}
	if s.QuestionLen.Dist != nil && s.QuestionDistribution != nil {
		p.add(path+".question_distribution", "question_len is already a distribution; use one or the other")
	}
	if s.OutputLen.Dist != nil && s.OutputDistribution != nil {
		p.add(path+".output_distribution", "output_len is already a distribution; use one or the other")
	}
	if s.QuestionDistribution != nil {
		s.QuestionDistribution.validate(p, path+".question_distribution")
	}
	if s.OutputDistribution != nil {
		s.OutputDistribution.validate(p, path+".output_distribution")
	}
}

func (c ConversationReplay) validate(p *problems) {
	const path = "data.conversation_replay"
	if c.NumConversations <= 0 {
		p.add(path+".num_conversations", "%d; give at least 1", c.NumConversations)
	}
	if c.SharedSystemPromptLen < 0 {
		p.add(path+".shared_system_prompt_len", "%d is negative", c.SharedSystemPromptLen)
	}
	for name, d := range map[string]*Distribution{
		"dynamic_system_prompt_len": c.DynamicSystemPromptLen, "turns_per_conversation": c.TurnsPerConversation,
		"input_tokens_per_turn": c.InputTokensPerTurn, "output_tokens_per_turn": c.OutputTokensPerTurn,
		"tool_call_latency_sec": c.ToolCallLatencySec,
	} {
		if d != nil {
			d.validate(p, path+"."+name)
		}
	}
}

func (t TraceConfig) validate(p *problems, path string) {
	if t.File == "" {
		p.add(path+".file", "is required; give the trace file's path")
	}
	oneOf(p, path+".format", t.Format, "AzurePublicDataset")
}

func (l LoadConfig) validate(p *problems, breakers []CircuitBreakerConfig) {
	oneOf(p, "load.type", l.Type, LoadConstant, LoadPoisson, LoadTraceReplay, LoadConcurrent, LoadTraceSessionReplay)
	if l.Interval < 0 {
		p.add("load.interval", "%g is negative; give the seconds to wait between stages (>= 0)", l.Interval)
	}
	if l.NumWorkers < 0 {
		p.add("load.num_workers", "%d is negative; give a positive number of workers, or remove the key to use the CPU count", l.NumWorkers)
	}
	if l.WorkerMaxConcurrency < 0 {
		p.add("load.worker_max_concurrency", "%d is negative", l.WorkerMaxConcurrency)
	}
	if l.WorkerMaxTCPConnections < 0 {
		p.add("load.worker_max_tcp_connections", "%d is negative", l.WorkerMaxTCPConnections)
	}
	if l.RequestTimeout != nil && *l.RequestTimeout <= 0 {
		p.add("load.request_timeout", "%g; give a per-request timeout in seconds > 0, or remove the key", *l.RequestTimeout)
	}
	if l.Sweep != nil {
		if l.Type == LoadConcurrent || l.Type == LoadTraceSessionReplay {
			p.add("load.sweep", "cannot be used with load.type %s; remove the sweep or use constant/poisson", l.Type)
		}
		l.Sweep.validate(p)
	}
	if len(l.Stages) == 0 && l.Sweep == nil {
		p.add("load.stages", "is empty and there is no load.sweep; give at least one stage (or a sweep)")
	}
	for i, s := range l.Stages {
		s.validate(p, fmt.Sprintf("load.stages[%d]", i), l.Type)
	}
	if l.Type == LoadTraceReplay && l.Trace == nil {
		p.add("load.trace", "is required for load.type trace_replay; give trace.file")
	}
	if l.Trace != nil {
		l.Trace.validate(p, "load.trace")
	}
	for i, name := range l.CircuitBreakers {
		if !slices.ContainsFunc(breakers, func(b CircuitBreakerConfig) bool { return b.Name == name }) {
			p.add(fmt.Sprintf("load.circuit_breakers[%d]", i), "%q names no circuit breaker in the top-level circuit_breakers list", name)
		}
	}
	if l.LoRATrafficSplit != nil {
		total := 0.0
		for _, s := range l.LoRATrafficSplit {
			total += s.Split
		}
		if total != 1.0 {
			p.add("load.lora_traffic_split", "the splits add up to %g; they must add up to exactly 1.0", total)
		}
	}
}

func (s Stage) validate(p *problems, path string, t LoadType) {
	sessionFields := s.ConcurrentSessions != nil || s.SessionRate != nil || s.NumSessions != nil || s.Timeout != nil
	switch t {
	case LoadConcurrent:
		if s.NumRequests <= 0 {
			p.add(path+".num_requests", "%d; a concurrent stage needs num_requests > 0", s.NumRequests)
		}
		if s.ConcurrencyLevel <= 0 {
			p.add(path+".concurrency_level", "%d; a concurrent stage needs concurrency_level > 0", s.ConcurrencyLevel)
		}
		if sessionFields {
			p.add(path, "has trace_session_replay fields (concurrent_sessions, session_rate, num_sessions, timeout); remove them")
		}
	case LoadTraceSessionReplay:
		if s.ConcurrentSessions == nil {
			p.add(path+".concurrent_sessions", "is required for a trace_session_replay stage (0 = all sessions at once)")
		} else if *s.ConcurrentSessions < 0 {
			p.add(path+".concurrent_sessions", "%d is negative", *s.ConcurrentSessions)
		}
		if s.SessionRate != nil && *s.SessionRate <= 0 {
			p.add(path+".session_rate", "%g; give sessions per second > 0, or remove the key", *s.SessionRate)
		}
		if s.NumSessions != nil && *s.NumSessions <= 0 {
			p.add(path+".num_sessions", "%d; give a count > 0, or remove the key", *s.NumSessions)
		}
		if s.Timeout != nil && *s.Timeout <= 0 {
			p.add(path+".timeout", "%g; give seconds > 0, or remove the key", *s.Timeout)
		}
		if s.SessionRate != nil && s.ConcurrentSessions != nil && *s.ConcurrentSessions > 0 && *s.SessionRate > float64(*s.ConcurrentSessions) {
			p.add(path+".session_rate", "(%g) > concurrent_sessions (%d); sessions cannot start faster than the concurrency allows", *s.SessionRate, *s.ConcurrentSessions)
		}
		if s.Rate != 0 || s.Duration != 0 || s.NumRequests != 0 || s.ConcurrencyLevel != 0 {
			p.add(path, "has rate/duration/num_requests/concurrency_level; a trace_session_replay stage takes concurrent_sessions, session_rate, num_sessions, timeout")
		}
	default:
		if s.Rate <= 0 {
			p.add(path+".rate", "%g; give a request rate in requests per second > 0", s.Rate)
		}
		if s.Duration <= 0 {
			p.add(path+".duration", "%d; give a stage duration in whole seconds > 0", s.Duration)
		}
		if s.NumRequests != 0 {
			p.add(path+".num_requests", "is for load.type concurrent; remove it, or set load.type: concurrent (load.type is %s)", t)
		}
		if s.ConcurrencyLevel != 0 {
			p.add(path+".concurrency_level", "is for load.type concurrent; remove it, or set load.type: concurrent (load.type is %s)", t)
		}
		if sessionFields {
			p.add(path, "has trace_session_replay fields (concurrent_sessions, session_rate, num_sessions, timeout); they need load.type: trace_session_replay")
		}
	}
}

func (s SweepConfig) validate(p *problems) {
	oneOf(p, "load.sweep.type", s.Type, SweepGeometric, SweepLinear)
	if s.NumRequests <= 0 {
		p.add("load.sweep.num_requests", "%d; the saturation probe needs num_requests > 0", s.NumRequests)
	}
	if s.Timeout <= 0 {
		p.add("load.sweep.timeout", "%g; give the probe's time limit in seconds > 0", s.Timeout)
	}
	if s.NumStages <= 0 {
		p.add("load.sweep.num_stages", "%d; give at least 1 stage", s.NumStages)
	}
	if s.StageDuration <= 0 {
		p.add("load.sweep.stage_duration", "%d; give whole seconds > 0", s.StageDuration)
	}
	if s.SaturationPercentile <= 0 || s.SaturationPercentile > 100 {
		p.add("load.sweep.saturation_percentile", "%g is outside (0, 100]", s.SaturationPercentile)
	}
}

func (m MetricsConfig) validate(p *problems) {
	oneOf(p, "metrics.type", m.Type, "prometheus", "default")
	if m.Prometheus == nil {
		if m.Type == "prometheus" {
			p.add("metrics.prometheus", "is required for metrics.type prometheus; give prometheus.url or prometheus.google_managed: true")
		}
		return
	}
	pr := m.Prometheus
	if (pr.URL != "") == pr.GoogleManaged {
		p.add("metrics.prometheus", "exactly one of url and google_managed must be set")
	}
	if pr.URL != "" {
		if u, err := url.Parse(pr.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("metrics.prometheus.url", "%q is not an http(s) URL", RedactURL(pr.URL))
		}
	}
	if pr.ScrapeInterval <= 0 {
		p.add("metrics.prometheus.scrape_interval", "%d; give seconds > 0", pr.ScrapeInterval)
	}
}

func (r ReportConfig) validate(p *problems) {
	for i, pc := range r.RequestLifecycle.Percentiles {
		if pc <= 0 || pc > 100 {
			p.add(fmt.Sprintf("report.request_lifecycle.percentiles[%d]", i), "%g is outside (0, 100]", pc)
		}
	}
	if r.RequestLifecycle.MaxErrorMessages < 0 {
		p.add("report.request_lifecycle.max_error_messages", "%d is negative", r.RequestLifecycle.MaxErrorMessages)
	}
	if r.Goodput != nil {
		for k, v := range r.Goodput.Constraints {
			if _, ok := report.GoodputMetric(k); !ok {
				p.add("report.goodput.constraints."+k, "unknown metric; use %s", strings.Join(report.GoodputKeys(), ", "))
			}
			if v <= 0 {
				p.add("report.goodput.constraints."+k, "%g; give a limit in seconds > 0", v)
			}
		}
	}
}

func (s StorageConfig) validate(p *problems) {
	if s.LocalStorage == nil {
		p.add("storage.local_storage", "is empty; local storage is always on: give a path or remove the key")
	}
	if g := s.GoogleCloudStorage; g != nil && g.BucketName == "" {
		p.add("storage.google_cloud_storage.bucket_name", "is required; give the bucket's name")
	}
	if s3 := s.SimpleStorageService; s3 != nil {
		if s3.BucketName == "" {
			p.add("storage.simple_storage_service.bucket_name", "is required; give the bucket's name")
		}
		if s3.AddressingStyle != nil {
			oneOf(p, "storage.simple_storage_service.addressing_style", *s3.AddressingStyle, "auto", "virtual", "path")
		}
	}
}

func (s ServerConfig) validate(p *problems) {
	if s.Type != "" { // empty: the default, vllm (a ServerConfig built in Go)
		oneOf(p, "server.type", s.Type, ServerVLLM, ServerSGLang, ServerTGI, ServerMock)
	}
	if s.BaseURL == "" {
		p.add("server.base_url", "is required; give the model server's URL, e.g. http://127.0.0.1:8000")
	} else if u, err := url.Parse(s.BaseURL); err != nil || u.Scheme == "" || u.Host == "" {
		p.add("server.base_url", "%q is not a URL with a scheme and host, e.g. http://127.0.0.1:8000", RedactURL(s.BaseURL))
	}
	if (s.CertPath == "") != (s.KeyPath == "") {
		p.add("server.cert_path", "cert_path and key_path are used only together; give both or neither")
	}
}

func (cb CircuitBreakerConfig) validate(p *problems, path string) {
	if cb.Name == "" {
		p.add(path+".name", "is required")
	}
	if len(cb.Metrics.Matches) == 0 {
		p.add(path+".metrics.matches", "needs at least one JMESPath expression")
	}
	if len(cb.Triggers) == 0 {
		p.add(path+".triggers", "is required; give at least one trigger")
	}
	for i, t := range cb.Triggers {
		tp := fmt.Sprintf("%s.triggers[%d]", path, i)
		switch t.Type {
		case "consecutive":
			if t.Threshold < 1 || t.Threshold != float64(int(t.Threshold)) {
				p.add(tp+".threshold", "%g; a consecutive trigger needs a whole number >= 1", t.Threshold)
			}
		case "rate_over_window":
			if t.WindowSec <= 0 {
				p.add(tp+".window_sec", "%g; give a window in seconds > 0", t.WindowSec)
			}
			if t.Threshold < 0 || t.Threshold > 1 {
				p.add(tp+".threshold", "%g is outside [0, 1]; a rate_over_window threshold is a share of hits", t.Threshold)
			}
			if t.MinSamples < 0 {
				p.add(tp+".min_samples", "%d is negative", t.MinSamples)
			}
		default:
			p.add(tp+".type", "%q is not one of consecutive, rate_over_window", t.Type)
		}
	}
}
