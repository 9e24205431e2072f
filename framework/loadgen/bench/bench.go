// Package bench measures the native load engine against the simulated vLLM on
// loopback: schedule lag, client measurement error against the server's own
// ground truth, capacity, memory, and a side-by-side with vegeta. Every figure
// is printed with its unit and beside the goal it is judged against.
package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

// Target is the simulated vLLM under load.
type Target struct {
	// URL is the server's base URL.
	URL string
	// Model is the served model name.
	Model string
	// Truth fetches the server's record of one request by its X-Request-Id.
	Truth func(ctx context.Context, id string) (mockvllm.RequestTruth, bool, error)
	// SameProcess says the server runs in this process, so CPU and RSS figures include it.
	SameProcess bool
	// Nice is the server process's scheduling niceness (0: the generator's own).
	Nice int
}

// Config sizes a bench run. Zero fields take the full-bench defaults.
type Config struct {
	Target Target
	// Restart, when set, starts a fresh server before each section and
	// returns it with its stop function, so no section runs against a server
	// the previous one loaded (a full truth store, a grown heap); Target is
	// then not used.
	Restart func(ctx context.Context) (Target, func() error, error)
	// LagRates are the Poisson rates of section 1, in req/s (default 100 and 1,000).
	LagRates []float64
	// LagDuration is how long each lag stage sends (default 10 s).
	LagDuration time.Duration
	// TruthRate and TruthRequests size section 2 (default 100 req/s, 2,000 requests).
	TruthRate     float64
	TruthRequests int
	// CapacityRates is the ladder of rates tried in sections 3 and 5, in req/s.
	CapacityRates []float64
	// StepDuration is how long each capacity step sends (default 5 s).
	StepDuration time.Duration
	// MemRequests are the request counts at which RSS is read (default 100k and 1M).
	MemRequests [2]int
	// MemRate is the send rate of the memory run, in req/s (default 5,000).
	MemRate float64
	// SkipVegeta leaves out section 5.
	SkipVegeta bool
	// Sections, when not empty, runs only these sections (SectionNames).
	Sections []string
	// Log receives progress lines (default: discarded).
	Log io.Writer
}

// Quick returns a configuration that runs every section in seconds, for
// tests, against t or, when restart is not nil, a fresh server per section.
func Quick(t Target, restart func(context.Context) (Target, func() error, error)) Config {
	return Config{
		Target: t, Restart: restart, LagRates: []float64{100, 1000}, LagDuration: time.Second,
		TruthRate: 100, TruthRequests: 100,
		CapacityRates: []float64{200, 400}, StepDuration: 500 * time.Millisecond,
		MemRequests: [2]int{1000, 3000}, MemRate: 2000,
	}
}

func (c *Config) defaults() {
	if len(c.LagRates) == 0 {
		c.LagRates = []float64{100, 1000}
	}
	if c.LagDuration <= 0 {
		c.LagDuration = 10 * time.Second
	}
	if c.TruthRate <= 0 {
		c.TruthRate = 100
	}
	if c.TruthRequests <= 0 {
		c.TruthRequests = 2000
	}
	if len(c.CapacityRates) == 0 {
		c.CapacityRates = []float64{500, 1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000, 12000, 15000}
	}
	if c.StepDuration <= 0 {
		c.StepDuration = 5 * time.Second
	}
	if c.MemRequests[0] <= 0 {
		c.MemRequests[0] = 100_000
	}
	if c.MemRequests[1] <= 0 {
		c.MemRequests[1] = 1_000_000
	}
	if c.MemRate <= 0 {
		c.MemRate = 5000
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Validate reports the first impossible setting, naming it.
func (c Config) Validate() error {
	if c.Restart == nil && (c.Target.URL == "" || c.Target.Truth == nil) {
		return fmt.Errorf("bench: Target.URL and Target.Truth (or Restart) must be set")
	}
	if err := CheckSections(c.Sections); err != nil {
		return err
	}
	if c.MemRequests[0] > 0 && c.MemRequests[1] > 0 && c.MemRequests[1] <= c.MemRequests[0] {
		return fmt.Errorf("bench: the second memory count (%d) must exceed the first (%d)", c.MemRequests[1], c.MemRequests[0])
	}
	return nil
}

// Pct holds P50, P99 and max of a distribution.
type Pct struct{ P50, P99, Max time.Duration }

// LagRow is one schedule-lag measurement.
type LagRow struct {
	Label               string
	Requested, Achieved float64
	Lag                 Pct
	// Pacer is how late the pacer itself woke for each send; Lag less Pacer
	// is the hand-off to the worker that sent it.
	Pacer                   Pct
	Requests, Failures      int64
	InFlightHits, MaxFlight int64
}

// ErrorRow compares client measurements with the server's ground truth.
type ErrorRow struct {
	Samples  int
	TTFT     Pct // |client − server|
	ITL      Pct // each inter-token gap, |client − server|
	TTFTBias time.Duration
	Missing  int // requests without a server record
	// Gaps is the number of inter-token gaps compared (requests whose chunk
	// count matches the server's token writes).
	Gaps int
}

// Step is one rung of a capacity ladder.
type Step struct {
	// Rate is the requested rate; Drawn is the rate the seeded schedule
	// actually planned (planned sends over the planned span), which for
	// Poisson arrivals differs from Rate by the draw's own noise.
	Rate, Drawn, Achieved float64
	Lag                   Pct
	Requests              int64
	Failures              int64
	CPU                   time.Duration
	Tokens                int64
	OK                    bool
}

// Capacity is a ladder's result for one workload.
type Capacity struct {
	Label string
	Steps []Step
	// Max is the highest passing rate (0 if none passed).
	Max float64
}

// Memory is section 4.
type Memory struct {
	Counts         [2]int
	RSS            [2]int64 // bytes
	Achieved, Rate float64
	Failures       int64
	Reached        [2]bool
	// Intervals and TimelineBytes are the run's timeline: how many intervals
	// it kept and the bytes of their encoded histograms (O(intervals)).
	Intervals     int
	TimelineBytes int64
	// MaxInFlight is the most requests in flight at once: each keeps a worker
	// and its buffers, so a stall of the machine shows up as RSS growth.
	MaxInFlight int64
}

// Results is everything the bench measured.
type Results struct {
	Lag        []LagRow
	Error      ErrorRow
	Capacity   []Capacity // 16-token and 256-token streams
	Memory     Memory
	Ours       Capacity // non-streaming, uniform pacing
	Vegeta     Capacity
	VegetaLat  []Pct // vegeta's own latency per step
	Started    time.Time
	Elapsed    time.Duration
	Target     Target
	SkipVegeta bool
	// Ran names the sections that ran, in order.
	Ran []string
}

// ran reports whether the named section ran.
func (r *Results) ran(name string) bool { return slices.Contains(r.Ran, name) }

// The bench's sections, in the order they run.
const (
	SectionMemory       = "memory"
	SectionCapacity     = "capacity"
	SectionLag          = "lag"
	SectionError        = "error"
	SectionNonStreaming = "non-streaming"
)

type section struct {
	name string
	run  func(context.Context, Config, *Results, func(string, ...any)) error
}

// sections lists every section in running order: memory first, so its RSS
// figures are not inflated by the others' records, and capacity before lag,
// whose extra row is the measured 16-token capacity.
func sections() []section {
	return []section{
		{SectionMemory, memorySection}, {SectionCapacity, capacitySection}, {SectionLag, scheduleLag},
		{SectionError, clientError}, {SectionNonStreaming, nonStreaming},
	}
}

// SectionNames returns the names Config.Sections accepts, in running order.
func SectionNames() []string {
	var names []string
	for _, s := range sections() {
		names = append(names, s.name)
	}
	return names
}

// CheckSections reports the first name that is not a section.
func CheckSections(names []string) error {
	for _, name := range names {
		if !slices.Contains(SectionNames(), name) {
			return fmt.Errorf("bench: unknown section %q: use %s", name, strings.Join(SectionNames(), ", "))
		}
	}
	return nil
}

// Run runs the configured sections in order and returns what was measured. A
// section that fails stops the bench with an error that names it; earlier
// sections' results are returned with it.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	res := &Results{Started: time.Now(), Target: cfg.Target, SkipVegeta: cfg.SkipVegeta}
	defer func() { res.Elapsed = time.Since(res.Started) }()
	logf := func(f string, a ...any) { fmt.Fprintf(cfg.Log, "bench: "+f+"\n", a...) }
	for _, sec := range sections() {
		if len(cfg.Sections) > 0 && !slices.Contains(cfg.Sections, sec.name) {
			continue
		}
		res.Ran = append(res.Ran, sec.name)
		if err := runSection(ctx, cfg, sec, res, logf); err != nil {
			return res, err
		}
	}
	return res, nil
}

// runSection runs one section, against a fresh server when cfg.Restart is
// set, after a garbage collection, so that what the previous section left
// (garbage, a loaded server) does not tax this one.
func runSection(ctx context.Context, cfg Config, sec section, res *Results, logf func(string, ...any)) error {
	if cfg.Restart != nil {
		t, stop, err := cfg.Restart(ctx)
		if err != nil {
			return fmt.Errorf("%s: start a fresh server: %w", sec.name, err)
		}
		defer stop()
		cfg.Target = t
		if res.Target.URL == "" {
			res.Target = t
		}
	}
	runtime.GC()
	return sec.run(ctx, cfg, res, logf)
}

// memorySection reads the RSS at two request counts of one long run.
func memorySection(ctx context.Context, cfg Config, res *Results, logf func(string, ...any)) error {
	logf("memory, %d then %d requests", cfg.MemRequests[0], cfg.MemRequests[1])
	mem, err := memory(ctx, cfg)
	res.Memory = mem
	if err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	return nil
}

// capacitySection climbs the streaming capacity ladders: 16- and 256-token streams.
func capacitySection(ctx context.Context, cfg Config, res *Results, logf func(string, ...any)) error {
	for _, tok := range []int{16, 256} {
		logf("capacity, %d-token streams", tok)
		c, err := ladder(ctx, cfg.CapacityRates, func(rate float64) (Step, error) {
			return streamStep(ctx, cfg, rate, tok)
		})
		c.Label = fmt.Sprintf("%d-token streams", tok)
		res.Capacity = append(res.Capacity, c)
		if err != nil {
			return fmt.Errorf("capacity (%d tokens): %w", tok, err)
		}
	}
	return nil
}

// scheduleLag measures the streaming schedule lag at each lag rate and at
// the measured capacity, then the lag controls.
func scheduleLag(ctx context.Context, cfg Config, res *Results, logf func(string, ...any)) error {
	rates := slices.Clone(cfg.LagRates)
	if len(res.Capacity) > 0 {
		if m := res.Capacity[0].Max; m > 0 && !slices.Contains(rates, m) {
			rates = append(rates, m)
		}
	}
	for i, r := range rates {
		logf("schedule lag at %g req/s", r)
		row, err := lagRun(ctx, cfg, loadSpec{load: loadgen.LoadPoisson, rate: r, dur: cfg.LagDuration, tokens: 16, stream: true})
		if err != nil {
			return fmt.Errorf("schedule lag at %g req/s: %w", r, err)
		}
		row.Label = rateLabel(r)
		if i >= len(cfg.LagRates) {
			row.Label += " (capacity)"
		}
		res.Lag = append(res.Lag, row)
	}
	logf("schedule lag controls")
	controls, err := lagControls(ctx, cfg)
	res.Lag = append(res.Lag, controls...)
	if err != nil {
		return fmt.Errorf("schedule lag controls: %w", err)
	}
	return nil
}

// clientError compares the client's TTFT with the simulator's ground truth.
func clientError(ctx context.Context, cfg Config, res *Results, logf func(string, ...any)) error {
	logf("client error vs ground truth")
	er, err := truthError(ctx, cfg)
	res.Error = er
	if err != nil {
		return fmt.Errorf("measurement error: %w", err)
	}
	return nil
}

// nonStreaming runs the non-streaming capacity ladder, ours then vegeta's.
func nonStreaming(ctx context.Context, cfg Config, res *Results, logf func(string, ...any)) error {
	logf("non-streaming, ours")
	var err error
	res.Ours, err = ladder(ctx, cfg.CapacityRates, func(rate float64) (Step, error) {
		st, _, cpu, err := runLoad(ctx, cfg, loadSpec{load: loadgen.LoadUniform, rate: rate, dur: cfg.StepDuration, tokens: 16})
		if err != nil {
			return Step{}, err
		}
		s := stepOf(rate, st, nil, cpu, 0)
		// Uniform sends are evenly spaced: n sends over (n−1) gaps of 1/rate.
		if n := st.Requests; n > 1 {
			s.Drawn = rate * float64(n) / float64(n-1)
			s.OK = Passes(s.Drawn, s.Achieved, s.Lag.P99, s.Failures)
		}
		return s, nil
	})
	res.Ours.Label = "tailgate (non-streaming)"
	if err != nil {
		return fmt.Errorf("non-streaming ladder: %w", err)
	}
	if cfg.SkipVegeta {
		return nil
	}
	logf("non-streaming, vegeta")
	res.Vegeta, res.VegetaLat, err = vegetaLadder(ctx, cfg)
	res.Vegeta.Label = "vegeta v12.13.0 (non-streaming)"
	if err != nil {
		return fmt.Errorf("vegeta ladder: %w", err)
	}
	return nil
}

// The lag controls' row labels.
const (
	controlUniform    = "uniform, streams"
	controlUnstreamed = "Poisson, unstreamed"
)

// lagRun runs one lag stage and returns its row, with the pacer's own
// wake-up lateness beside the lag.
func lagRun(ctx context.Context, cfg Config, s loadSpec) (LagRow, error) {
	s.pacer = report.NewHistogram()
	st, _, _, err := runLoad(ctx, cfg, s)
	if err != nil {
		return LagRow{}, err
	}
	row := lagRow(st)
	row.Pacer = pctOfDistribution(s.pacer)
	return row, nil
}

// lagControls separate the two ways the streaming lag rows differ from the
// non-streaming pacer's ladder, at the highest lag rate: evenly spaced
// streams (arrival process of the ladder, streaming of the lag rows), and
// Poisson sends of unstreamed answers (the other way round).
func lagControls(ctx context.Context, cfg Config) ([]LagRow, error) {
	rate := slices.Max(cfg.LagRates)
	var rows []LagRow
	for _, c := range []struct {
		label  string
		load   loadgen.LoadKind
		stream bool
	}{{controlUniform, loadgen.LoadUniform, true}, {controlUnstreamed, loadgen.LoadPoisson, false}} {
		row, err := lagRun(ctx, cfg, loadSpec{load: c.load, rate: rate, dur: cfg.LagDuration, tokens: 16, stream: c.stream})
		if err != nil {
			return rows, fmt.Errorf("%s at %g req/s: %w", c.label, rate, err)
		}
		row.Label = c.label
		rows = append(rows, row)
	}
	return rows, nil
}

// Passes is the capacity criterion: achieved ≥ 99% of the planned rate, P99
// lag ≤ 5 ms, no failures.
func Passes(planned, achieved float64, p99 time.Duration, failures int64) bool {
	return planned > 0 && achieved >= 0.99*planned && p99 >= 0 && p99 <= 5*time.Millisecond && failures == 0
}

// drawnRate is the rate a schedule planned: sends over the span of their
// planned times, the same definition as the engine's achieved rate.
func drawnRate(recs []loadgen.RequestRecord) float64 {
	if len(recs) < 2 {
		return 0
	}
	lo, hi := recs[0].Scheduled, recs[0].Scheduled
	for _, r := range recs[1:] {
		lo, hi = min(lo, r.Scheduled), max(hi, r.Scheduled)
	}
	if hi <= lo {
		return 0
	}
	return float64(len(recs)) / (hi - lo).Seconds()
}

// ladder tries rates in order and stops after the first miss that follows a
// pass (or after two misses in a row before any pass).
func ladder(ctx context.Context, rates []float64, probe func(rate float64) (Step, error)) (Capacity, error) {
	var c Capacity
	misses := 0
	for _, r := range rates {
		if err := ctx.Err(); err != nil {
			return c, err
		}
		s, err := probe(r)
		if err != nil {
			return c, err
		}
		c.Steps = append(c.Steps, s)
		if s.OK {
			c.Max = max(c.Max, r)
			misses = 0
			continue
		}
		misses++
		if c.Max > 0 || misses >= 2 {
			break
		}
	}
	return c, nil
}

func stepOf(rate float64, st *report.Stage, recs []loadgen.RequestRecord, cpu time.Duration, tokensPer int) Step {
	l := lagOf(st)
	s := Step{Rate: rate, Drawn: drawnRate(recs), Achieved: st.AchievedRate, Lag: l, Requests: st.Requests, Failures: st.Failures, CPU: cpu,
		Tokens: st.Successes * int64(tokensPer)}
	s.OK = Passes(s.Drawn, st.AchievedRate, l.P99, st.Failures)
	return s
}

func streamStep(ctx context.Context, cfg Config, rate float64, tokens int) (Step, error) {
	st, recs, cpu, err := runLoad(ctx, cfg, loadSpec{load: loadgen.LoadPoisson, rate: rate, dur: cfg.StepDuration, tokens: tokens, stream: true, perRequest: true})
	if err != nil {
		return Step{}, err
	}
	return stepOf(rate, st, recs, cpu, tokens), nil
}

type loadSpec struct {
	load       loadgen.LoadKind
	rate       float64
	dur        time.Duration
	n          int
	tokens     int
	stream     bool
	perRequest bool
	chunkTimes bool
	progress   func(loadgen.Progress)
	pacer      *report.Histogram
}

// wordPrompter makes prompts of n "tok" words; the simulator without a
// tokenizer counts about one token per word of this shape.
type wordPrompter struct{}

func (wordPrompter) Synthetic(_ *rand.Rand, n int) (string, error) {
	return strings.Repeat("tok ", n), nil
}
func (wordPrompter) Random(_ *rand.Rand, n int) (string, error) {
	return strings.Repeat("tok ", n), nil
}

// runLoad runs one stage and returns it with the process CPU time it used.
func runLoad(ctx context.Context, cfg Config, s loadSpec) (*report.Stage, []loadgen.RequestRecord, time.Duration, error) {
	n := s.n
	if n <= 0 {
		n = int(math.Round(s.rate * s.dur.Seconds()))
	}
	opts := loadgen.Options{
		BaseURL: cfg.Target.URL, Model: cfg.Target.Model, Streaming: s.stream, IgnoreEOS: true,
		Data: loadgen.DataRandom, Prompts: wordPrompter{},
		Input:   loadgen.Lengths{Kind: loadgen.LengthFixed, Min: 16, Max: 16, Mean: 16},
		Output:  loadgen.Lengths{Kind: loadgen.LengthFixed, Min: s.tokens, Max: s.tokens, Mean: float64(s.tokens)},
		Load:    s.load,
		Stages:  []loadgen.Stage{{Rate: s.rate, Duration: time.Duration(float64(n) / s.rate * float64(time.Second)), NumRequests: n}},
		Workers: 4, WorkerMaxConcurrency: 10000, MaxTCPConnections: 40000,
		RequestTimeout: 60 * time.Second, LeadIn: 200 * time.Millisecond, Seed: 7,
		PerRequest: s.perRequest, ChunkTimes: s.chunkTimes, Progress: s.progress, ProgressEvery: time.Second,
		PacerLateness: s.pacer,
	}
	before := cpuTime()
	r, err := loadgen.Run(ctx, opts)
	cpu := cpuTime() - before
	if err != nil {
		return nil, nil, 0, err
	}
	if r.Report == nil || len(r.Report.Stages) == 0 {
		return nil, nil, 0, fmt.Errorf("the engine returned no stage")
	}
	st := r.Report.Stages[0]
	if r.Report.Partial {
		return &st, r.Requests, cpu, fmt.Errorf("run ended early: %s", r.Report.PartialReason)
	}
	return &st, r.Requests, cpu, nil
}

func lagOf(st *report.Stage) Pct { return pctOf(st, report.ScheduleDelay) }

func lagRow(st *report.Stage) LagRow {
	r := LagRow{Requested: st.RequestedRate, Achieved: st.AchievedRate, Lag: lagOf(st), Requests: st.Requests, Failures: st.Failures}
	if g := st.Generator; g != nil {
		r.InFlightHits, r.MaxFlight = g.InFlightLimitHits, g.MaxInFlight
	}
	return r
}

func secDur(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// truthError runs section 2: per-request records compared with the server's.
func truthError(ctx context.Context, cfg Config) (ErrorRow, error) {
	var row ErrorRow
	_, recs, _, err := runLoad(ctx, cfg, loadSpec{load: loadgen.LoadPoisson, rate: cfg.TruthRate, n: cfg.TruthRequests,
		tokens: 16, stream: true, perRequest: true, chunkTimes: true})
	if err != nil {
		return row, err
	}
	var ttft, itl []time.Duration
	var bias time.Duration
	for _, rc := range recs {
		if rc.Label != "" || rc.Chunks < 2 {
			continue
		}
		t, ok, err := cfg.Target.Truth(ctx, rc.ID)
		if err != nil {
			return row, fmt.Errorf("ground truth of %s: %w", rc.ID, err)
		}
		if !ok || t.FirstTokenWritten.IsZero() || t.OutputTokens < 2 {
			row.Missing++
			continue
		}
		e := ttftError(rc, t)
		bias += e
		ttft = append(ttft, absDur(e))
		for _, g := range gapErrors(rc, t) {
			itl = append(itl, absDur(g))
		}
	}
	row.Gaps = len(itl)
	row.Samples = len(ttft)
	if row.Samples == 0 {
		return row, fmt.Errorf("no request could be matched with a server record (%d missing)", row.Missing)
	}
	row.TTFT, row.ITL = percentiles(ttft), percentiles(itl)
	row.TTFTBias = bias / time.Duration(row.Samples)
	return row, nil
}

// ttftError is the client's TTFT minus the server's.
func ttftError(rc loadgen.RequestRecord, t mockvllm.RequestTruth) time.Duration {
	return (rc.FirstToken - rc.Start) - t.FirstTokenWritten.Sub(t.Arrival)
}

// gapErrors returns, for each inter-token gap, the client's gap minus the
// server's; none when the client's chunks and the server's token writes do
// not pair up one to one.
func gapErrors(rc loadgen.RequestRecord, t mockvllm.RequestTruth) []time.Duration {
	c, s := rc.ChunkTimes, t.TokenWrites
	if len(c) < 2 || len(c) != len(s) {
		return nil
	}
	out := make([]time.Duration, 0, len(c)-1)
	for i := 1; i < len(c); i++ {
		out = append(out, (c[i]-c[i-1])-s[i].Sub(s[i-1]))
	}
	return out
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// percentiles returns nearest-rank P50, P99 and max; it sorts v.
func percentiles(v []time.Duration) Pct {
	if len(v) == 0 {
		return Pct{-1, -1, -1}
	}
	slices.Sort(v)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p/100*float64(len(v)))) - 1
		return v[max(0, min(i, len(v)-1))]
	}
	return Pct{P50: rank(50), P99: rank(99), Max: v[len(v)-1]}
}

// memory runs section 4: one run without per-request records, RSS read on
// the first progress report after MemRequests[0] and after MemRequests[1]
// requests have finished. The run plans 3 s of extra sends so that both
// readings are taken under the same steady load, connections open.
func memory(ctx context.Context, cfg Config) (Memory, error) {
	m := Memory{Counts: cfg.MemRequests, Rate: cfg.MemRate}
	progress := func(p loadgen.Progress) {
		done := p.Completed + p.Failed
		for i, n := range cfg.MemRequests {
			if !m.Reached[i] && done >= int64(n) {
				m.RSS[i], m.Reached[i] = rss(), true
			}
		}
	}
	n := cfg.MemRequests[1] + int(3*cfg.MemRate)
	st, _, _, err := runLoad(ctx, cfg, loadSpec{load: loadgen.LoadUniform, rate: cfg.MemRate, n: n, tokens: 1, progress: progress})
	if st != nil {
		m.Achieved, m.Failures = st.AchievedRate, st.Failures
		if st.Generator != nil {
			m.MaxInFlight = st.Generator.MaxInFlight
		}
		if t := st.Timeline; t != nil {
			m.Intervals, m.TimelineBytes = len(t.Intervals), t.EncodedBytes()
		}
	}
	if err != nil {
		return m, err
	}
	if !m.Reached[0] || !m.Reached[1] {
		return m, fmt.Errorf("the run finished before a progress report saw %d and %d requests done; lower the memory rate", cfg.MemRequests[0], cfg.MemRequests[1])
	}
	return m, nil
}

// rss is the process's resident set size in bytes, after a GC that returns
// freed memory to the OS, so garbage not yet collected does not count as growth.
func rss() int64 {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rateLabel(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) + " req/s" }
