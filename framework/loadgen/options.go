// Package loadgen is tailgate's native load engine. It follows inference-perf's
// semantics (fixed request count per stage, rescaled-exponential "constant"
// and per-second "poisson" schedules, clamped-normal lengths, exact-length
// prompts, max_tokens with ignore_eos) and measures more: every latency is
// also taken from the scheduled send time, and the engine reports its own
// schedule lag, achieved rate and in-flight limit hits so a run whose
// generator fell behind can be refused. A request's send time is the moment
// the transport writes its headers to the connection, so schedule lag counts
// every delay on the client's side (pacing, handoff, connection setup) and
// TTFT and latency start on the wire.
//
// The engine is split the way vegeta is: a schedule says when (schedule.go),
// a pool of workers, started on demand up to the in-flight limit, sends and
// reads (worker.go), and a recorder aggregates into fixed-size HdrHistograms
// as requests finish (recorder.go), so memory does not grow with the number
// of requests.
package loadgen

import (
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// API selects the OpenAI endpoint the engine calls.
type API string

// The supported APIs.
const (
	// APICompletion posts to /v1/completions with a "prompt".
	APICompletion API = "completion"
	// APIChat posts to /v1/chat/completions with one user message.
	APIChat API = "chat"
)

// DataKind selects how prompts are made.
type DataKind string

// The supported data generators.
const (
	// DataSynthetic cuts exact-length prompts from a text corpus.
	DataSynthetic DataKind = "synthetic"
	// DataRandom draws exact-length prompts of random vocabulary tokens.
	DataRandom DataKind = "random"
	// DataMock sends inference-perf's mock prompts ("1 2 3 i") with 30 output tokens; no tokenizer needed.
	DataMock DataKind = "mock"
)

// LoadKind selects the arrival process of open-loop stages, or closed-loop concurrency.
type LoadKind string

// The supported load types.
const (
	// LoadConstant is inference-perf's constant timer: int(rate·duration) sends with
	// exponential gaps rescaled to sum to the duration.
	LoadConstant LoadKind = "constant"
	// LoadPoisson is inference-perf's poisson timer: Poisson counts per second.
	LoadPoisson LoadKind = "poisson"
	// LoadConcurrent keeps ConcurrencyLevel requests in flight until NumRequests are done.
	LoadConcurrent LoadKind = "concurrent"
	// LoadUniform spaces sends evenly (a tailgate extension, not an inference-perf type).
	LoadUniform LoadKind = "uniform"
)

// Stage is one load stage: Rate×Duration for open-loop kinds, or
// NumRequests at ConcurrencyLevel for LoadConcurrent.
type Stage struct {
	Rate             float64
	Duration         time.Duration
	NumRequests      int
	ConcurrencyLevel int
}

// Sweep asks the engine to probe for the saturation rate, then run
// NumStages stages of StageDuration up to it (inference-perf's sweep).
type Sweep struct {
	// Type is "geometric" (rates bunched near saturation) or "linear".
	Type                 string
	NumRequests          int
	Timeout              time.Duration
	NumStages            int
	StageDuration        time.Duration
	SaturationPercentile float64
}

// Prompter makes prompt text of an exact token count (the tokenizer
// package's Synthesizer satisfies it).
type Prompter interface {
	Synthetic(rng *rand.Rand, tokens int) (string, error)
	Random(rng *rand.Rand, tokens int) (string, error)
}

// Progress is a snapshot of a running load, for a progress line.
type Progress struct {
	// Stage is the 0-based stage running, or -1 during a sweep's probe; Stages
	// is the number of stages (0 until a sweep's probe has planned them).
	Stage, Stages int
	Elapsed       time.Duration
	Planned       time.Duration // the schedule's planned length, lead-ins and intervals included
	Scheduled     int64         // sends planned so far in started stages
	Sent          int64
	Completed     int64
	Failed        int64
	InFlight      int64
	// Rate is the send rate over the last progress interval, in requests per second.
	Rate float64
	// Draining is true after a stage's last send while requests are still in
	// flight; DrainLeft is the time until the drain timeout ends them, and
	// OldestInFlight the age of the oldest.
	Draining       bool
	DrainLeft      time.Duration
	OldestInFlight time.Duration
}

// Options configures a run. Zero values take inference-perf's defaults where it has them.
type Options struct {
	// BaseURL is the server's base URL; routes /v1/completions and /v1/chat/completions are appended.
	BaseURL string
	// Model goes into every request's "model" field.
	Model string
	// APIKey, when set, is sent as "Authorization: Bearer <key>" and never logged.
	APIKey string
	// API is APICompletion (default) or APIChat.
	API API
	// Streaming requests SSE streams (TTFT, ITL and TPOT need it).
	Streaming bool
	// Headers are added to every request.
	Headers map[string]string
	// IgnoreEOS is sent as "ignore_eos", so the server generates exactly max_tokens.
	IgnoreEOS bool

	// Data selects the prompt generator; Prompts must be set for synthetic and random.
	Data    DataKind
	Input   Lengths
	Output  Lengths
	Prompts Prompter

	// Load is the arrival process; Stages run in order, or Sweep generates them.
	Load     LoadKind
	Stages   []Stage
	Sweep    *Sweep
	Interval time.Duration // pause after each stage but the last
	// TimelineInterval is the length of one timeline interval (per-interval
	// histograms and counters in the report); 0 means 1 s.
	TimelineInterval time.Duration
	// Workers × WorkerMaxConcurrency is the in-flight cap (inference-perf's
	// num_workers × worker_max_concurrency); a send that finds every slot busy
	// counts as an in-flight limit hit and goes out late.
	Workers              int
	WorkerMaxConcurrency int
	MaxTCPConnections    int
	// RequestTimeout bounds each request; 0 means 5 minutes (aiohttp's default, as inference-perf).
	RequestTimeout time.Duration
	// Seed makes lengths, prompts and schedules reproducible.
	Seed int64
	// LeadIn is the pause before each stage's first send; 0 means 1 s, negative means none.
	LeadIn time.Duration
	// Drain is how long in-flight requests may finish after cancellation; 0 means 2 s.
	Drain time.Duration
	// DrainTimeout is how long requests still in flight after a stage's last
	// send may take to finish; the rest are cut, recorded as failures
	// labelled LabelDrainTimeout, and the run is marked partial. 0 means
	// DefaultDrainTimeout.
	DrainTimeout time.Duration

	// PerRequest keeps one RequestRecord per request (memory grows with the run).
	PerRequest bool
	// ChunkTimes also keeps, in each RequestRecord, the arrival time of every
	// content chunk (with PerRequest; memory grows with the output tokens).
	ChunkTimes bool
	// PacerLateness, when set, receives how late the pacer woke for each
	// scheduled send, before it hands the request to a worker: a send's
	// schedule lag is this plus the hand-off (a diagnostic for the bench).
	PacerLateness *report.Histogram
	// MaxErrorMessages caps distinct messages kept per failure label; 0 means 100.
	MaxErrorMessages int
	// Goodput maps each metric goodput may constrain (MetricInfo.Goodput in the
	// report registry) to a per-request limit in seconds.
	Goodput map[report.Metric]float64

	// Progress, when set, is called every ProgressEvery (default 5 s) while load runs.
	Progress      func(Progress)
	ProgressEvery time.Duration

	// TLSConfig sets up https targets (a private CA, client certificates);
	// nil uses the system's roots.
	TLSConfig *tls.Config
	// NetHTTP sends through Go's net/http instead of the engine's own HTTP/1.1
	// client, which it otherwise uses unless a proxy from the environment
	// applies to the target. net/http costs more CPU per request, and its
	// token timestamps come one goroutine hand-off after the socket read.
	NetHTTP bool
	// Client overrides the HTTP client (tests; implies NetHTTP).
	Client *http.Client

	// Shard, when Count is set, sends only this shard's share of the load (see Shard).
	Shard Shard
	// StartAt, when set, is the instant the first stage's lead-in begins, and
	// every open-loop stage starts at its planned instant from it, so shards
	// started apart send on one schedule. A run that starts after StartAt
	// sends its overdue requests at once and records how late it started.
	StartAt time.Time
	// RunID names the run in request IDs and the report; empty draws a random
	// one. Shards of one run share it.
	RunID string
}

func (o *Options) defaults() {
	if o.API == "" {
		o.API = APICompletion
	}
	if o.Data == "" {
		o.Data = DataMock
	}
	if o.Load == "" {
		o.Load = LoadConstant
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.WorkerMaxConcurrency <= 0 {
		o.WorkerMaxConcurrency = 100
	}
	if o.MaxTCPConnections <= 0 {
		o.MaxTCPConnections = 2500
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 5 * time.Minute
	}
	if o.LeadIn == 0 {
		o.LeadIn = time.Second
	} else if o.LeadIn < 0 {
		o.LeadIn = 0
	}
	if o.Drain <= 0 {
		o.Drain = 2 * time.Second
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	if o.MaxErrorMessages <= 0 {
		o.MaxErrorMessages = 100
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
}

// validate reports the first impossible option, naming it.
func (o *Options) validate() error {
	for _, check := range []func() error{o.validateServer, o.validateData, o.validateLoad, o.validateSweep, o.validateShard, o.validateGoodput} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (o *Options) validateServer() error {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("server.base_url: want an http:// or https:// URL with a host (the value is not repeated here: it may hold a password)")
	}
	for k, v := range o.Headers {
		if !validHeader(k, v) {
			return fmt.Errorf("server.headers %q: not a valid HTTP header (a token name, a value without CR, LF or NUL)", k)
		}
	}
	if o.Model == "" {
		return fmt.Errorf("server.model_name is empty: name the model the server serves")
	}
	if o.API != APICompletion && o.API != APIChat {
		return fmt.Errorf("api.type %q is not supported by the native engine: use completion or chat", o.API)
	}
	return nil
}

func (o *Options) validateData() error {
	switch o.Data {
	case DataSynthetic, DataRandom:
		if o.Prompts == nil {
			return fmt.Errorf("data.type %s needs a tokenizer: set tokenizer.pretrained_model_name_or_path (or TAILGATE_TOKENIZER)", o.Data)
		}
		if err := o.Input.Validate(); err != nil {
			return fmt.Errorf("data.input_distribution: %w", err)
		}
		if err := o.Output.Validate(); err != nil {
			return fmt.Errorf("data.output_distribution: %w", err)
		}
	case DataMock:
	default:
		return fmt.Errorf("data.type %q is not supported by the native engine: use synthetic, random or mock (or the inference-perf Job runner)", o.Data)
	}
	return nil
}

// validateLoad checks the load type and every stage.
func (o *Options) validateLoad() error {
	switch o.Load {
	case LoadConstant, LoadPoisson, LoadUniform, LoadConcurrent:
	default:
		return fmt.Errorf("load.type %q is not supported by the native engine: use constant, poisson or concurrent", o.Load)
	}
	if len(o.Stages) == 0 && o.Sweep == nil {
		return fmt.Errorf("load.stages is empty and load.sweep is not set: give at least one stage")
	}
	if o.Sweep != nil && o.Load == LoadConcurrent {
		return fmt.Errorf("load.sweep cannot be used with load.type concurrent")
	}
	for i, s := range o.Stages {
		if err := o.validateStage(i, s); err != nil {
			return err
		}
	}
	return nil
}

func (o *Options) validateStage(i int, s Stage) error {
	if o.Load == LoadConcurrent {
		if s.NumRequests <= 0 || s.ConcurrencyLevel <= 0 {
			return fmt.Errorf("load.stages[%d]: concurrent stages need num_requests > 0 and concurrency_level > 0", i)
		}
		return nil
	}
	if !(s.Rate > 0) || s.Duration <= 0 {
		return fmt.Errorf("load.stages[%d]: rate (%g) and duration (%s) must both be > 0", i, s.Rate, s.Duration)
	}
	if err := checkRate(fmt.Sprintf("load.stages[%d].rate", i), s.Rate); err != nil {
		return err
	}
	if n := plannedRequests(s); n < 1 {
		return fmt.Errorf("load.stages[%d]: rate %g × duration %s plans %d requests; raise the rate or the duration", i, s.Rate, s.Duration, n)
	}
	return nil
}

func (o *Options) validateSweep() error {
	sw := o.Sweep
	if sw == nil {
		return nil
	}
	if sw.Type != "geometric" && sw.Type != "linear" {
		return fmt.Errorf("load.sweep.type %q: use geometric or linear", sw.Type)
	}
	if sw.NumRequests <= 0 || sw.NumStages <= 0 || sw.StageDuration <= 0 || sw.Timeout <= 0 {
		return fmt.Errorf("load.sweep: num_requests, num_stages, stage_duration and timeout must all be > 0")
	}
	if err := checkRate("load.sweep.num_requests (sent over the 5 s probe)", float64(sw.NumRequests)/probeDuration.Seconds()); err != nil {
		return err
	}
	if !(sw.SaturationPercentile > 0 && sw.SaturationPercentile <= 100) {
		return fmt.Errorf("load.sweep.saturation_percentile %g: want a value in (0, 100]", sw.SaturationPercentile)
	}
	return nil
}

// validateGoodput admits the metrics the registry lets goodput constrain.
func (o *Options) validateGoodput() error {
	for m := range o.Goodput {
		if !m.Info().Goodput {
			return fmt.Errorf("report.goodput.constraints: %q is not a per-request metric (use %s)", m, strings.Join(report.GoodputKeys(), ", "))
		}
	}
	return nil
}

// DefaultDrainTimeout bounds the wait for requests still in flight after a
// stage's last send when Options.DrainTimeout is not set: long enough for a
// 2,048-token answer from a loaded server, far shorter than the 5-minute
// request timeout a stalled request would otherwise hold the run for.
const DefaultDrainTimeout = 60 * time.Second

// MaxRate is the highest rate, in requests per second, one generator
// accepts. The engine sends about 15,000 non-streamed requests per second on
// 2 cores (README, load generator section); 100,000 leaves room for large
// machines while refusing, before any load, rates no single process can
// approach. Higher rates are split over several generators (shards).
const MaxRate = 100_000

// checkRate refuses a rate above MaxRate, naming the field that set it.
func checkRate(field string, rate float64) error {
	if rate <= MaxRate {
		return nil
	}
	return fmt.Errorf("%s: %g req/s is more than one load generator can send (at most %d req/s; it measured about 15,000 req/s on 2 cores): split the load over several generators (shards), each at most %d req/s, or lower the rate",
		field, rate, MaxRate, MaxRate)
}

// plannedRequests is inference-perf's fixed count for an open-loop stage.
func plannedRequests(s Stage) int {
	if s.NumRequests > 0 {
		return s.NumRequests
	}
	return int(s.Rate * s.Duration.Seconds())
}

// String renders the snapshot as one progress line.
func (p Progress) String() string {
	stage := fmt.Sprintf("stage %d/%d", p.Stage+1, p.Stages)
	if p.Stage < 0 {
		stage = "sweep probe"
	}
	if p.Draining {
		return fmt.Sprintf("%s, %s of ~%s, all %d sent; draining: waiting for %d requests in flight (oldest %s), cut in %s; done %d, errors %d",
			stage, p.Elapsed.Round(time.Second), p.Planned.Round(time.Second), p.Sent,
			p.InFlight, p.OldestInFlight.Round(100*time.Millisecond), p.DrainLeft.Round(time.Second), p.Completed, p.Failed)
	}
	return fmt.Sprintf("%s, %s of ~%s, sent %d/%d, %.1f req/s, in flight %d, done %d, errors %d",
		stage, p.Elapsed.Round(time.Second), p.Planned.Round(time.Second),
		p.Sent, p.Scheduled, p.Rate, p.InFlight, p.Completed, p.Failed)
}

// validateShard checks the shard against the load it splits.
func (o *Options) validateShard() error { return o.Shard.validate(o) }
