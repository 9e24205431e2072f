package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

// ShardConfig sizes the shard comparison: the same total load sent by one
// `tailgate run` process and by N shard processes started together, each
// setup repeated, every figure reported as the median of the repetitions
// with their range.
type ShardConfig struct {
	// Exe is the tailgate binary the generator processes run.
	Exe string
	// URL and Model name the simulated vLLM.
	URL, Model string
	// Rate is the total rate in req/s (default 500).
	Rate float64
	// Duration is how long each run sends, whole seconds (default 10 s).
	Duration time.Duration
	// Counts are the generator counts compared (default 1, 2 and 4).
	Counts []int
	// Reps is how many times each count runs (default 3).
	Reps int
	// Dir holds the runs' report directories (default a temporary directory).
	Dir string
	// Log receives progress lines and the generators' output (default: discarded).
	Log io.Writer
}

func (c *ShardConfig) defaults() {
	if c.Rate <= 0 {
		c.Rate = 500
	}
	if c.Duration < time.Second {
		c.Duration = 10 * time.Second
	}
	if len(c.Counts) == 0 {
		c.Counts = []int{1, 2, 4}
	}
	if c.Reps <= 0 {
		c.Reps = 3
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// ShardFigures are one run's figures, from the merged report.
type ShardFigures struct {
	Achieved float64 // req/s over the merged send window
	// Lag is the merged schedule delay; WorstLagP99 the highest P99 of any one generator.
	Lag, TTFT   Pct
	WorstLagP99 time.Duration
	// CPU is the generator processes' user+system time per request, start-up included.
	CPUPerRequest time.Duration
	Requests      int64
	Failures      int64
}

// ShardRow is one generator count: every repetition, their median and range.
type ShardRow struct {
	Shards         int
	Runs           []ShardFigures
	Median, Lo, Hi ShardFigures
}

// RunShards runs every count Reps times, the counts interleaved so a change
// in the machine's load falls on all of them.
func RunShards(ctx context.Context, cfg ShardConfig) ([]ShardRow, error) {
	cfg.defaults()
	if cfg.Exe == "" || cfg.URL == "" {
		return nil, fmt.Errorf("bench shards: Exe and URL must be set")
	}
	if cfg.Dir == "" {
		d, err := os.MkdirTemp("", "tailgate-bench-shards-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		cfg.Dir = d
	}
	rows := make([]ShardRow, len(cfg.Counts))
	for rep := range cfg.Reps {
		for i, n := range cfg.Counts {
			fmt.Fprintf(cfg.Log, "bench: shards, %d generator(s) at %g req/s in all, repetition %d of %d\n", n, cfg.Rate, rep+1, cfg.Reps)
			f, err := shardRun(ctx, cfg, n, filepath.Join(cfg.Dir, fmt.Sprintf("n%d-r%d", n, rep)))
			if err != nil {
				return rows, fmt.Errorf("%d generators, repetition %d: %w", n, rep+1, err)
			}
			rows[i].Shards = n
			rows[i].Runs = append(rows[i].Runs, f)
		}
	}
	for i := range rows {
		rows[i].Median, rows[i].Lo, rows[i].Hi = summarize(rows[i].Runs)
	}
	return rows, nil
}

// shardConfigYAML is a stage of mock prompts (30 streamed tokens each) on
// inference-perf's constant timer: exponential gaps (bursty, as Poisson
// arrivals) rescaled to end exactly at the stage's end, so the achieved rate
// compares with the requested one without the draw's own noise.
const shardConfigYAML = `api: {type: completion, streaming: true}
data: {type: mock}
load:
  type: constant
  num_workers: 4
  worker_max_concurrency: 2500
  base_seed: 7
  stages: [{rate: %g, duration: %d}]
server: {type: vllm, model_name: %s, base_url: %s, ignore_eos: true}
`

// shardRun runs n generator processes (one unsharded when n is 1) and merges their reports.
func shardRun(ctx context.Context, cfg ShardConfig, n int, dir string) (ShardFigures, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ShardFigures{}, err
	}
	conf := filepath.Join(dir, "config.yml")
	body := fmt.Sprintf(shardConfigYAML, cfg.Rate, int(cfg.Duration.Seconds()), cfg.Model, cfg.URL)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return ShardFigures{}, err
	}
	start := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
	cmds := make([]*exec.Cmd, n)
	dirs := make([]string, n)
	for i := range n {
		dirs[i] = filepath.Join(dir, fmt.Sprintf("shard-%d", i))
		args := []string{"run", "--config", conf, "--report-dir", dirs[i], "--progress", "0", "--server-metrics", "off", "--start-at", start}
		if n > 1 {
			args = append(args, "--shard", fmt.Sprintf("%d/%d", i, n))
		}
		cmds[i] = exec.CommandContext(ctx, cfg.Exe, args...)
		cmds[i].Stdout, cmds[i].Stderr = cfg.Log, cfg.Log
		if err := cmds[i].Start(); err != nil {
			return ShardFigures{}, fmt.Errorf("start %s: %w", cfg.Exe, err)
		}
	}
	var cpu time.Duration
	for _, c := range cmds {
		_ = c.Wait() // the exit code is the gate's verdict; the figures are judged here
		if c.ProcessState != nil {
			cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
		}
	}
	return mergedFigures(dirs, cpu)
}

// mergedFigures reads the generators' reports, merges them and takes the figures.
func mergedFigures(dirs []string, cpu time.Duration) (ShardFigures, error) {
	var f ShardFigures
	reports := make([]*report.Report, len(dirs))
	for i, d := range dirs {
		r, err := report.ReadDir(d)
		if err != nil {
			return f, err
		}
		if len(r.Stages) == 0 {
			return f, fmt.Errorf("%s: no stage", d)
		}
		reports[i] = r
		f.WorstLagP99 = max(f.WorstLagP99, lagOf(&r.Stages[0]).P99)
	}
	m := reports[0]
	if len(reports) > 1 {
		var err error
		if m, err = report.Merge(reports...); err != nil {
			return f, err
		}
	}
	st := m.Stages[0]
	f.Achieved, f.Lag, f.Requests, f.Failures = st.AchievedRate, lagOf(&st), st.Requests, st.Failures
	f.TTFT = pctOf(&st, report.TTFT)
	if st.Requests > 0 {
		f.CPUPerRequest = cpu / time.Duration(st.Requests)
	}
	return f, nil
}

// pctOf is P50, P99 and max of metric m (-1 when missing).
func pctOf(st *report.Stage, m report.Metric) Pct {
	d, ok := st.Distributions[m]
	if !ok {
		return Pct{P50: -1, P99: -1, Max: -1}
	}
	return pctOfDistribution(d)
}

// pctOfDistribution returns d's P50, P99 and max (-1 each when d is empty).
func pctOfDistribution(d report.Distribution) Pct {
	if d.Count() == 0 {
		return Pct{P50: -1, P99: -1, Max: -1}
	}
	p := func(q float64) time.Duration {
		v, err := d.Percentile(q)
		if err != nil {
			return -1
		}
		return secDur(v)
	}
	return Pct{P50: p(50), P99: p(99), Max: secDur(d.Max())}
}

// summarize returns the median and the range of every figure over runs.
func summarize(runs []ShardFigures) (med, lo, hi ShardFigures) {
	durs := []func(*ShardFigures) *time.Duration{
		func(f *ShardFigures) *time.Duration { return &f.Lag.P50 },
		func(f *ShardFigures) *time.Duration { return &f.Lag.P99 },
		func(f *ShardFigures) *time.Duration { return &f.WorstLagP99 },
		func(f *ShardFigures) *time.Duration { return &f.TTFT.P50 },
		func(f *ShardFigures) *time.Duration { return &f.TTFT.P99 },
		func(f *ShardFigures) *time.Duration { return &f.CPUPerRequest },
	}
	for _, get := range durs {
		v := make([]time.Duration, len(runs))
		for i := range runs {
			v[i] = *get(&runs[i])
		}
		slices.Sort(v)
		*get(&med), *get(&lo), *get(&hi) = v[len(v)/2], v[0], v[len(v)-1]
	}
	rates := make([]float64, len(runs))
	for i, r := range runs {
		rates[i] = r.Achieved
		med.Requests, med.Failures = max(med.Requests, r.Requests), max(med.Failures, r.Failures)
	}
	slices.Sort(rates)
	med.Achieved, lo.Achieved, hi.Achieved = rates[len(rates)/2], rates[0], rates[len(rates)-1]
	return med, lo, hi
}

// StreamCost is the generator's own CPU per production-shaped stream:
// synthetic prompts of the production scenario's lengths (input mean 1,024
// tokens, output mean 512), streamed, Poisson arrivals.
type StreamCost struct {
	Rate, Achieved float64
	Requests       int64
	OutputTokens   int64
	CPU            time.Duration
	Lag            Pct
}

// PerRequest is the CPU per request, prompt synthesis, sending and reading
// every token included.
func (c StreamCost) PerRequest() time.Duration {
	if c.Requests == 0 {
		return -1
	}
	return c.CPU / time.Duration(c.Requests)
}

// MeasureStreamCost runs production-shaped streams against t at rate for
// dur and returns the process CPU they cost; t must run in another process
// (its CPU would count otherwise).
func MeasureStreamCost(ctx context.Context, t Target, prompts loadgen.Prompter, rate float64, dur time.Duration) (StreamCost, error) {
	c := StreamCost{Rate: rate}
	if t.SameProcess {
		return c, fmt.Errorf("bench: the stream cost needs the simulator in another process (--server process)")
	}
	opts := loadgen.Options{
		BaseURL: t.URL, Model: t.Model, Streaming: true, IgnoreEOS: true,
		Data: loadgen.DataSynthetic, Prompts: prompts,
		Input:  loadgen.Lengths{Kind: loadgen.LengthNormal, Min: 128, Max: 4096, Mean: 1024, StdDev: 512},
		Output: loadgen.Lengths{Kind: loadgen.LengthNormal, Min: 50, Max: 2048, Mean: 512, StdDev: 256},
		Load:   loadgen.LoadPoisson, Stages: []loadgen.Stage{{Rate: rate, Duration: dur}},
		Workers: 4, WorkerMaxConcurrency: 10000, MaxTCPConnections: 40000,
		RequestTimeout: 60 * time.Second, LeadIn: 200 * time.Millisecond, Seed: 7,
	}
	before := cpuTime()
	r, err := loadgen.Run(ctx, opts)
	c.CPU = cpuTime() - before
	if err != nil {
		return c, err
	}
	st := r.Report.Stages[0]
	c.Achieved, c.Requests, c.OutputTokens, c.Lag = st.AchievedRate, st.Requests, st.OutputTokensTotal, lagOf(&st)
	if r.Report.Partial {
		return c, fmt.Errorf("run ended early: %s", r.Report.PartialReason)
	}
	return c, nil
}
