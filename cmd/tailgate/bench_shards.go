package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/loadgen/bench"
	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// shardBenchFlags are the flags of `tailgate bench --shards`.
type shardBenchFlags struct {
	on       *bool
	rate     *float64
	duration *time.Duration
	reps     *int
	costRate *float64
}

func bindShardBench(fs *flag.FlagSet) shardBenchFlags {
	return shardBenchFlags{
		on:       fs.Bool("shards", false, "instead of the other sections: 1, 2 and 4 `tailgate run` generator processes at the same total rate, merged, side by side, then the CPU cost of production-shaped streams"),
		rate:     fs.Float64("shard-rate", 500, "total rate of the shard comparison in req/s"),
		duration: fs.Duration("shard-duration", 10*time.Second, "how long each shard comparison run sends (whole seconds)"),
		reps:     fs.Int("reps", 3, "repetitions of the bench (of each generator count with --shards); each goal is judged on the median (default 1 with --quick)"),
		costRate: fs.Float64("cost-rate", 50, "rate of the production-shaped stream cost run in req/s (0 skips it)"),
	}
}

// runShardBench runs the shard comparison and the stream cost measurement
// against target and prints both, with the time and the machine's load.
func runShardBench(ctx context.Context, target bench.Target, f shardBenchFlags, s stdio) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(s.err, "bench: find the tailgate binary for the generator processes: %v\n", err)
		return 1
	}
	fmt.Fprintf(s.out, "started %s; load average %s\n", time.Now().UTC().Format(time.RFC3339), loadAverage())
	rows, err := bench.RunShards(ctx, bench.ShardConfig{Exe: exe, URL: target.URL, Model: target.Model,
		Rate: *f.rate, Duration: *f.duration, Reps: *f.reps, Log: s.err})
	if len(rows) > 0 && len(rows[len(rows)-1].Runs) == *f.reps {
		bench.PrintShards(s.out, *f.rate, rows)
	}
	if err != nil {
		fmt.Fprintf(s.err, "bench: shards: %v\n", err)
		return 1
	}
	if *f.costRate > 0 {
		tok, err := tokenizer.Load(ctx, framework.DefaultTokenizer, tokenizer.LoadOptions{})
		if err != nil {
			fmt.Fprintf(s.err, "bench: tokenizer for synthetic prompts: %v\n", err)
			return 1
		}
		synth, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{})
		if err != nil {
			fmt.Fprintf(s.err, "bench: %v\n", err)
			return 1
		}
		var costs []bench.StreamCost
		for range *f.reps {
			c, err := bench.MeasureStreamCost(ctx, target, synth, *f.costRate, *f.duration)
			if err != nil {
				fmt.Fprintf(s.err, "bench: stream cost: %v\n", err)
				return 1
			}
			costs = append(costs, c)
		}
		bench.PrintStreamCost(s.out, costs)
	}
	fmt.Fprintf(s.out, "finished %s; load average %s\n", time.Now().UTC().Format(time.RFC3339), loadAverage())
	return 0
}

// loadAverage is the first three fields of /proc/loadavg, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	var a, c, d string
	if _, err := fmt.Sscan(string(b), &a, &c, &d); err != nil {
		return "unknown"
	}
	return a + " " + c + " " + d
}
