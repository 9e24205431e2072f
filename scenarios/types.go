package scenarios

// APIType is the API a benchmark request goes to (api.type).
type APIType string

// API types inference-perf knows.
const (
	APICompletion        APIType = "completion"
	APIChat              APIType = "chat"
	APIAnthropicMessages APIType = "anthropic_messages"
)

// DataType is the prompt generator or dataset (data.type).
type DataType string

// Data types inference-perf knows.
const (
	DataMock                 DataType = "mock"
	DataShareGPT             DataType = "shareGPT"
	DataSynthetic            DataType = "synthetic"
	DataRandom               DataType = "random"
	DataSharedPrefix         DataType = "shared_prefix"
	DataCNNDailyMail         DataType = "cnn_dailymail"
	DataInfinityInstruct     DataType = "infinity_instruct"
	DataBillsumConversations DataType = "billsum_conversations"
	DataOTelTraceReplay      DataType = "otel_trace_replay"
	DataWekaTraceReplay      DataType = "weka_trace_replay"
	DataConversationReplay   DataType = "conversation_replay"
	DataVisionArena          DataType = "visionarena"
)

// DistributionType is the shape lengths are drawn from (…distribution.type).
type DistributionType string

// Distribution types inference-perf knows.
const (
	DistNormal     DistributionType = "normal"
	DistSkewNormal DistributionType = "skew_normal"
	DistLognormal  DistributionType = "lognormal"
	DistUniform    DistributionType = "uniform"
	DistPoisson    DistributionType = "poisson"
	DistFixed      DistributionType = "fixed"
)

// LoadType is how requests are scheduled (load.type).
type LoadType string

// Load types inference-perf knows.
const (
	LoadConstant           LoadType = "constant"
	LoadPoisson            LoadType = "poisson"
	LoadTraceReplay        LoadType = "trace_replay"
	LoadConcurrent         LoadType = "concurrent"
	LoadTraceSessionReplay LoadType = "trace_session_replay"
)

// SweepType is how sweep stage rates are spaced up to the saturation rate.
type SweepType string

// Sweep types inference-perf knows.
const (
	SweepGeometric SweepType = "geometric"
	SweepLinear    SweepType = "linear"
)

// ServerType is the kind of model server under test (server.type).
type ServerType string

// Server types inference-perf knows.
const (
	ServerVLLM   ServerType = "vllm"
	ServerSGLang ServerType = "sglang"
	ServerTGI    ServerType = "tgi"
	ServerMock   ServerType = "mock"
)

// Config is one inference-perf configuration (config.yml). Name is not part of the file:
// it names the scenario in error messages ("scenario production: …").
type Config struct {
	Name            string                 `yaml:"-"`
	API             APIConfig              `yaml:"api" render:"always"`
	Data            DataConfig             `yaml:"data" render:"always"`
	Load            LoadConfig             `yaml:"load" render:"always"`
	Metrics         *MetricsConfig         `yaml:"metrics"`
	Report          ReportConfig           `yaml:"report"`
	Storage         *StorageConfig         `yaml:"storage"`
	Server          *ServerConfig          `yaml:"server"`
	Tokenizer       *TokenizerConfig       `yaml:"tokenizer"`
	CircuitBreakers []CircuitBreakerConfig `yaml:"circuit_breakers"`
}

// APIConfig is the api section: which endpoint, streaming or not, extra headers.
// Streaming must be true for TTFT, TPOT and ITL to exist.
type APIConfig struct {
	Type                  APIType           `yaml:"type" render:"always"`
	Streaming             bool              `yaml:"streaming" render:"always"`
	Headers               map[string]string `yaml:"headers"`
	SLOUnit               string            `yaml:"slo_unit"`
	SLOTTFTHeader         string            `yaml:"slo_ttft_header"`
	SLOTPOTHeader         string            `yaml:"slo_tpot_header"`
	ResponseFormat        *ResponseFormat   `yaml:"response_format"`
	SessionIDHeaderKey    string            `yaml:"session_id_header_key"`
	SessionTokenHeaderKey string            `yaml:"session_token_header_key"`
}

// ResponseFormat asks for structured output (api.response_format).
type ResponseFormat struct {
	Type       string         `yaml:"type"` // json_schema (default) | json_object
	Name       string         `yaml:"name"`
	JSONSchema map[string]any `yaml:"json_schema"`
}

// ServerConfig is the model server under test. APIKey is a secret: Config's String and
// RenderRedacted never show it. A zero Type and a nil IgnoreEOS mean the defaults (vllm,
// true), so &ServerConfig{BaseURL: u} is a complete section.
type ServerConfig struct {
	Type      ServerType `yaml:"type" render:"always"`
	ModelName string     `yaml:"model_name"` // empty: inference-perf asks GET /v1/models
	BaseURL   string     `yaml:"base_url" render:"always"`
	IgnoreEOS *bool      `yaml:"ignore_eos" render:"always"` // nil means the default, true
	APIKey    string     `yaml:"api_key"`
	CertPath  string     `yaml:"cert_path"`
	KeyPath   string     `yaml:"key_path"`
}

// TokenizerConfig names the Hugging Face tokenizer used to count tokens. Token is a
// secret (an HF access token).
type TokenizerConfig struct {
	PretrainedModelNameOrPath string `yaml:"pretrained_model_name_or_path"`
	TrustRemoteCode           *bool  `yaml:"trust_remote_code"`
	Token                     string `yaml:"token"`
}

// DataConfig is the data section: the prompt generator and its length distributions.
// Multimodal, OTelTraceReplay, WekaTraceReplay and VisionArena are kept as given and
// rendered back unchanged; their contents are checked by inference-perf, not here.
type DataConfig struct {
	Type               DataType            `yaml:"type" render:"always"`
	Path               string              `yaml:"path"`
	CorpusFilePath     string              `yaml:"corpus_file_path"`
	InputDistribution  *Distribution       `yaml:"input_distribution"`
	OutputDistribution *Distribution       `yaml:"output_distribution"`
	SharedPrefix       *SharedPrefix       `yaml:"shared_prefix"`
	Multimodal         map[string]any      `yaml:"multimodal"`
	Trace              *TraceConfig        `yaml:"trace"`
	OTelTraceReplay    map[string]any      `yaml:"otel_trace_replay"`
	WekaTraceReplay    map[string]any      `yaml:"weka_trace_replay"`
	ConversationReplay *ConversationReplay `yaml:"conversation_replay"`
	VisionArena        map[string]any      `yaml:"visionarena"`
	UseChatTemplate    bool                `yaml:"use_chat_template"`
}

// Distribution is a length distribution in tokens. Defaults (inference-perf's): min 10,
// max 1024, mean 512, std_dev 200, type normal. Variance replaces std_dev only when
// std_dev is 0 (inference-perf's rule, since std_dev defaults to 200); StdDev keeps the
// declared value and EffectiveStdDev gives the one used for sampling.
type Distribution struct {
	Min        int              `yaml:"min" render:"always"`
	Max        int              `yaml:"max" render:"always"`
	Mean       float64          `yaml:"mean" render:"always"`
	StdDev     float64          `yaml:"std_dev" render:"always"`
	TotalCount *int             `yaml:"total_count"`
	Type       DistributionType `yaml:"type"`
	Variance   *float64         `yaml:"variance"`
	Skew       float64          `yaml:"skew"`
}

// Length is a token length that is either a fixed number or a Distribution, as the
// shared_prefix lengths are. Dist nil means Fixed.
type Length struct {
	Fixed int
	Dist  *Distribution
}

// SharedPrefix configures the shared_prefix generator. It renders with inference-perf's
// serialized key names (num_unique_system_prompts, num_users_per_system_prompt) and also
// reads the aliases num_groups and num_prompts_per_group.
type SharedPrefix struct {
	NumGroups            int            `yaml:"num_unique_system_prompts"`
	NumPromptsPerGroup   int            `yaml:"num_users_per_system_prompt"`
	SystemPromptLen      Length         `yaml:"system_prompt_len"`
	QuestionLen          Length         `yaml:"question_len"`
	OutputLen            Length         `yaml:"output_len"`
	Seed                 *int           `yaml:"seed"`
	QuestionDistribution *Distribution  `yaml:"question_distribution"`
	OutputDistribution   *Distribution  `yaml:"output_distribution"`
	EnableMultiTurnChat  bool           `yaml:"enable_multi_turn_chat"`
	Multimodal           map[string]any `yaml:"multimodal"`
}

// ConversationReplay configures the conversation_replay generator (synthetic multi-turn
// conversations).
type ConversationReplay struct {
	Seed                   int           `yaml:"seed"`
	NumConversations       int           `yaml:"num_conversations"`
	SharedSystemPromptLen  int           `yaml:"shared_system_prompt_len"`
	DynamicSystemPromptLen *Distribution `yaml:"dynamic_system_prompt_len"`
	TurnsPerConversation   *Distribution `yaml:"turns_per_conversation"`
	InputTokensPerTurn     *Distribution `yaml:"input_tokens_per_turn"`
	OutputTokensPerTurn    *Distribution `yaml:"output_tokens_per_turn"`
	ToolCallLatencySec     *Distribution `yaml:"tool_call_latency_sec"`
	MaxModelLen            *int          `yaml:"max_model_len"`
}

// TraceConfig names a request trace file to replay (data.trace, load.trace).
type TraceConfig struct {
	File   string `yaml:"file"`
	Format string `yaml:"format"` // AzurePublicDataset (the only one)
}

// LoadConfig is the load section: load type, stages or sweep, and the worker pool.
// NumWorkers 0 and BaseSeed 0 mean "unset" (see the package doc).
type LoadConfig struct {
	Type                    LoadType     `yaml:"type" render:"always"`
	Interval                float64      `yaml:"interval"` // seconds slept after each stage
	Stages                  []Stage      `yaml:"stages"`
	Sweep                   *SweepConfig `yaml:"sweep"`
	NumWorkers              int          `yaml:"num_workers"`
	WorkerMaxConcurrency    int          `yaml:"worker_max_concurrency"`
	WorkerMaxTCPConnections int          `yaml:"worker_max_tcp_connections"`
	Trace                   *TraceConfig `yaml:"trace"`
	CircuitBreakers         []string     `yaml:"circuit_breakers"`
	RequestTimeout          *float64     `yaml:"request_timeout"` // seconds
	LoRATrafficSplit        []LoRASplit  `yaml:"lora_traffic_split"`
	BaseSeed                int64        `yaml:"base_seed"`
}

// Stage is one load stage. constant, poisson and trace_replay stages have Rate (req/s)
// and Duration (whole seconds); concurrent stages have NumRequests and ConcurrencyLevel;
// trace_session_replay stages use the session fields.
type Stage struct {
	Rate               float64  `yaml:"rate"`
	Duration           int      `yaml:"duration"`
	NumRequests        int      `yaml:"num_requests"`
	ConcurrencyLevel   int      `yaml:"concurrency_level"`
	ConcurrentSessions *int     `yaml:"concurrent_sessions"`
	SessionRate        *float64 `yaml:"session_rate"`
	NumSessions        *int     `yaml:"num_sessions"`
	Timeout            *float64 `yaml:"timeout"`
}

// SweepConfig makes inference-perf probe the server's saturation rate and generate the
// stages itself (load.sweep). Render writes every sweep key, defaults included.
type SweepConfig struct {
	Type                 SweepType `yaml:"type" render:"always"`
	NumRequests          int       `yaml:"num_requests" render:"always"`
	Timeout              float64   `yaml:"timeout" render:"always"`
	NumStages            int       `yaml:"num_stages" render:"always"`
	StageDuration        int       `yaml:"stage_duration" render:"always"`
	SaturationPercentile float64   `yaml:"saturation_percentile" render:"always"`
}

// LoRASplit sends a share of the traffic to one LoRA adapter.
type LoRASplit struct {
	Name  string  `yaml:"name"`
	Split float64 `yaml:"split"`
}

// MetricsConfig is the server-metrics client (Prometheus).
type MetricsConfig struct {
	Type       string            `yaml:"type" render:"always"` // prometheus | default
	Prometheus *PrometheusConfig `yaml:"prometheus"`
}

// PrometheusConfig says where to query the server's Prometheus metrics. Exactly one of
// URL and GoogleManaged must be set.
type PrometheusConfig struct {
	ScrapeInterval int      `yaml:"scrape_interval"`
	URL            string   `yaml:"url"`
	Filters        []string `yaml:"filters"`
	GoogleManaged  bool     `yaml:"google_managed"`
}

// ReportConfig says which report files inference-perf writes.
type ReportConfig struct {
	RequestLifecycle RequestLifecycleReport `yaml:"request_lifecycle"`
	Prometheus       *PrometheusReport      `yaml:"prometheus"`
	SessionLifecycle SessionLifecycleReport `yaml:"session_lifecycle"`
	Goodput          *GoodputConfig         `yaml:"goodput"`
}

// RequestLifecycleReport selects the request lifecycle report files and percentiles.
type RequestLifecycleReport struct {
	Summary               bool      `yaml:"summary"`
	PerStage              bool      `yaml:"per_stage"`
	PerRequest            bool      `yaml:"per_request"`
	PerAdapter            bool      `yaml:"per_adapter"`
	PerAdapterStage       bool      `yaml:"per_adapter_stage"`
	Percentiles           []float64 `yaml:"percentiles"`
	UseServerOutputTokens bool      `yaml:"use_server_output_tokens"`
	MaxErrorMessages      int       `yaml:"max_error_messages"`
}

// PrometheusReport selects the Prometheus report files (written only with a metrics client).
type PrometheusReport struct {
	Summary  bool `yaml:"summary"`
	PerStage bool `yaml:"per_stage"`
}

// SessionLifecycleReport selects the session report files (trace replay only).
type SessionLifecycleReport struct {
	Summary    bool `yaml:"summary"`
	PerStage   bool `yaml:"per_stage"`
	PerSession bool `yaml:"per_session"`
}

// GoodputConfig holds the per-request SLO limits, in seconds, that make a request
// "good". Keys: ttft, tpot, itl, ntpot, request_latency.
type GoodputConfig struct {
	Constraints map[string]float64 `yaml:"constraints"`
}

// StorageConfig says where report files go. Local storage is always on.
type StorageConfig struct {
	LocalStorage         *LocalStorageConfig `yaml:"local_storage"`
	GoogleCloudStorage   *GCSStorageConfig   `yaml:"google_cloud_storage"`
	SimpleStorageService *S3StorageConfig    `yaml:"simple_storage_service"`
}

// LocalStorageConfig is a directory for report files. "{timestamp}" in Path is replaced
// by inference-perf with the run's start time.
type LocalStorageConfig struct {
	Path             string  `yaml:"path"`
	ReportFilePrefix *string `yaml:"report_file_prefix"`
}

// GCSStorageConfig uploads report files to a Google Cloud Storage bucket.
type GCSStorageConfig struct {
	BucketName       string  `yaml:"bucket_name" render:"always"`
	Path             string  `yaml:"path"`
	ReportFilePrefix *string `yaml:"report_file_prefix"`
}

// S3StorageConfig uploads report files to an S3 (or S3-compatible) bucket.
type S3StorageConfig struct {
	BucketName       string  `yaml:"bucket_name" render:"always"`
	Path             string  `yaml:"path"`
	ReportFilePrefix *string `yaml:"report_file_prefix"`
	EndpointURL      *string `yaml:"endpoint_url"`
	RegionName       *string `yaml:"region_name"`
	AddressingStyle  *string `yaml:"addressing_style"` // auto | virtual | path
}

// CircuitBreakerConfig stops a stage when matching request metrics trip a trigger.
// Like inference-perf, unknown keys inside a circuit breaker are ignored, not rejected.
type CircuitBreakerConfig struct {
	Name     string                `yaml:"name"`
	Metrics  CircuitBreakerMetrics `yaml:"metrics"`
	Triggers []Trigger             `yaml:"triggers"`
}

// CircuitBreakerMetrics selects the request metrics a breaker watches (JMESPath
// expressions): Matches picks samples, Rules marks hits (no rules: every sample is a hit).
type CircuitBreakerMetrics struct {
	Matches []string `yaml:"matches"`
	Rules   []string `yaml:"rules"`
}

// Trigger is a breaker condition: "consecutive" (Threshold hits in a row) or
// "rate_over_window" (hit share over WindowSec seconds above Threshold in 0..1).
type Trigger struct {
	Type       string  `yaml:"type"`
	Threshold  float64 `yaml:"threshold"`
	WindowSec  float64 `yaml:"window_sec"`
	MinSamples int     `yaml:"min_samples"`
}
