package scenarios

// DefaultTimestampPath is the storage path inference-perf uses when none is given;
// inference-perf replaces "{timestamp}" with the run's start time (YYYYmmdd-HHMMSS).
const DefaultTimestampPath = "reports-{timestamp}"

// DefaultPercentiles are the percentiles inference-perf reports for each metric.
func DefaultPercentiles() []float64 {
	return []float64{0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9}
}

// Default is the configuration inference-perf runs with when its config file is empty:
// every section at its default. It has no stages and no server, so it does not validate.
func Default() Config {
	var c Config
	c.setDefaults()
	return c
}

// defaulter is a config section with defaults of its own, applied when the section
// appears in a file (inference-perf builds the section's model from the given keys).
type defaulter interface{ setDefaults() }

func (c *Config) setDefaults() {
	c.API.setDefaults()
	c.Data.setDefaults()
	c.Load.setDefaults()
	c.Report.setDefaults()
	c.Storage = &StorageConfig{}
	c.Storage.setDefaults()
}

func (a *APIConfig) setDefaults() { a.Type = APICompletion }

func (r *ResponseFormat) setDefaults() { r.Type = "json_schema"; r.Name = "structured_output" }

func (s *ServerConfig) setDefaults() { s.Type = ServerVLLM; s.IgnoreEOS = ptr(true) }

func (d *DataConfig) setDefaults() { d.Type = DataMock }

func (d *Distribution) setDefaults() {
	d.Min, d.Max, d.Mean, d.StdDev, d.Type = 10, 1024, 512, 200, DistNormal
}

func (s *SharedPrefix) setDefaults() {
	s.NumGroups, s.NumPromptsPerGroup = 10, 10
	s.SystemPromptLen, s.QuestionLen, s.OutputLen = Length{Fixed: 100}, Length{Fixed: 50}, Length{Fixed: 50}
}

func (c *ConversationReplay) setDefaults() {
	c.Seed, c.NumConversations, c.SharedSystemPromptLen = 42, 200, 8359
}

func (t *TraceConfig) setDefaults() { t.Format = "AzurePublicDataset" }

func (l *LoadConfig) setDefaults() {
	l.Type = LoadConstant
	l.Interval = 1.0
	l.WorkerMaxConcurrency = 100
	l.WorkerMaxTCPConnections = 2500
}

func (s *SweepConfig) setDefaults() {
	s.NumRequests, s.Timeout, s.NumStages, s.StageDuration, s.SaturationPercentile = 2000, 60, 5, 180, 95
}

func (p *PrometheusConfig) setDefaults() { p.ScrapeInterval = 15 }

func (r *ReportConfig) setDefaults() {
	r.RequestLifecycle.setDefaults()
	r.Prometheus = &PrometheusReport{}
	r.Prometheus.setDefaults()
	r.SessionLifecycle.setDefaults()
}

func (r *RequestLifecycleReport) setDefaults() {
	*r = RequestLifecycleReport{Summary: true, PerStage: true, PerAdapter: true,
		Percentiles: DefaultPercentiles(), MaxErrorMessages: 100}
}

func (p *PrometheusReport) setDefaults() { p.Summary = true }

func (s *SessionLifecycleReport) setDefaults() { s.Summary, s.PerStage = true, true }

func (s *StorageConfig) setDefaults() {
	s.LocalStorage = &LocalStorageConfig{}
	s.LocalStorage.setDefaults()
}

func (l *LocalStorageConfig) setDefaults() { l.Path = DefaultTimestampPath }

func (g *GCSStorageConfig) setDefaults() { g.Path = DefaultTimestampPath }

func (s *S3StorageConfig) setDefaults() { s.Path = DefaultTimestampPath }

// defaultsFor returns a pointer to a fresh value of type T with its section defaults.
func defaultsFor[T any]() *T {
	v := new(T)
	if d, ok := any(v).(defaulter); ok {
		d.setDefaults()
	}
	return v
}

func ptr[T any](v T) *T { return &v }
