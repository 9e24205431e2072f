package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework/study"
)

// runStudy measures how often each gate method fails an unchanged simulated
// server and catches injected regressions, and prints the table.
func runStudy(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("study", flag.ContinueOnError)
	fs.SetOutput(s.err)
	reps := fs.Int("reps", 500, "run pairs per cell (each rate's 95% interval narrows with more)")
	durations := fs.String("durations", "70s,600s", "comma-separated run lengths of the production scenario")
	tolerance := fs.Float64("tolerance", 0.10, "regression tolerance on P99 TTFT (0.10 = +10%)")
	threshold := fs.Duration("threshold", 1200*time.Millisecond, "absolute SLA bound on P99 TTFT")
	workers := fs.Int("workers", 0, "simulations at once (default: GOMAXPROCS)")
	servers := fs.String("servers", "", "comma-separated injections to measure beside the unchanged server (default: all)")
	realtime := fs.Int("realtime", 0, "instead of the verdict table: N real-time runs through the native engine and the simulated vLLM on loopback, their P99 TTFT spread beside --reps virtual-time runs")
	realtimeDuration := fs.Duration("realtime-duration", time.Minute, "length of each --realtime run and its virtual-time counterparts")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := study.Config{Reps: *reps, Tolerance: *tolerance, Threshold: *threshold, Workers: *workers}
	for _, name := range strings.Split(*servers, ",") {
		if name = strings.TrimSpace(name); name != "" {
			cfg.Servers = append(cfg.Servers, name)
		}
	}
	for _, f := range strings.Split(*durations, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d < time.Second {
			fmt.Fprintf(s.err, "study: --durations: %q is not a duration of at least 1s (e.g. 70s,600s)\n", f)
			return 2
		}
		cfg.Durations = append(cfg.Durations, d)
	}
	if *reps < 2 || !(*tolerance > 0) {
		fmt.Fprintln(s.err, "study: --reps must be >= 2 and --tolerance > 0")
		return 2
	}
	if *realtime != 0 {
		if *realtime < 2 || *realtimeDuration < 10*time.Second {
			fmt.Fprintln(s.err, "study: --realtime needs at least 2 runs and --realtime-duration at least 10s (e.g. --realtime 8 --realtime-duration 60s)")
			return 2
		}
		return crossCheck(ctx, s, *realtime, *realtimeDuration, *reps, *workers)
	}
	start := time.Now()
	res, err := study.Measure(ctx, cfg)
	if err != nil {
		fmt.Fprintf(s.err, "study: %v\n", err)
		return 1
	}
	fmt.Fprintf(s.out, "Gate verdicts on the production scenario (qwen3-8b-h100 simulator, virtual time, noise on), %d run pairs per cell, tolerance %+.0f%%, absolute bound %s; fail rate %% (Wilson 95%% interval). Measured %s in %s.\n\n",
		cfg.Reps, 100*cfg.Tolerance, cfg.Threshold, start.UTC().Format("2006-01-02 15:04 MST"), time.Since(start).Round(time.Second))
	if err := res.WriteMarkdown(s.out); err != nil {
		return 1
	}
	fmt.Fprintln(s.out)
	if err := res.WriteSpreads(s.out); err != nil {
		return 1
	}
	if miss := res.Goals(); len(miss) > 0 {
		fmt.Fprintf(s.out, "\ngoals missed (false fail <= 1%%, +10%% detected >= 95%%, regression default):\n  - %s\n", strings.Join(miss, "\n  - "))
	} else {
		fmt.Fprintln(s.out, "\ngoals met (false fail <= 1%, +10% detected >= 95%, regression default)")
	}
	return 0
}
