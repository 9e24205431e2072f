package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/tailgate-dev/tailgate/framework/loadgen/bench"
)

// runBench measures the native engine against the simulated vLLM on loopback
// and prints the bench table. It exits 0 when the bench ran, whatever the
// verdicts (the table says PASS or MISS beside each goal), 1 on an error.
func runBench(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(s.err)
	quick := fs.Bool("quick", false, "tiny sizes, seconds in all (a smoke test, not a measurement)")
	server := fs.String("server", "process", "where the simulated vLLM runs: process (a child `tailgate mock-vllm`, client-only CPU and RSS) or inprocess")
	req1 := fs.Int("requests-100k", 0, "requests before the first RSS reading (default 100000)")
	req2 := fs.Int("requests-1m", 0, "requests before the second RSS reading (default 1000000)")
	memRate := fs.Float64("mem-rate", 0, "send rate of the memory run in req/s (default 5000)")
	step := fs.Duration("step", 0, "how long each capacity step sends (default 5s)")
	noVegeta := fs.Bool("no-vegeta", false, "leave out the vegeta comparison")
	sh := bindShardBench(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var target bench.Target
	var stop func() error
	var err error
	switch *server {
	case "inprocess":
		target, stop, err = bench.StartInProcess(ctx)
	case "process":
		target, stop, err = startChildServer(ctx, s)
	default:
		fmt.Fprintf(s.err, "bench: --server %q: use process or inprocess\n", *server)
		return 2
	}
	if err != nil {
		fmt.Fprintf(s.err, "bench: %v\n", err)
		return 1
	}
	defer stop()
	if *sh.on {
		return runShardBench(ctx, target, sh, s)
	}
	cfg := bench.Config{Target: target}
	if *quick {
		cfg = bench.Quick(target)
	}
	if *req1 > 0 {
		cfg.MemRequests[0] = *req1
	}
	if *req2 > 0 {
		cfg.MemRequests[1] = *req2
	}
	if *memRate > 0 {
		cfg.MemRate = *memRate
	}
	if *step > 0 {
		cfg.StepDuration = *step
	}
	cfg.SkipVegeta = *noVegeta
	cfg.Log = s.err
	return repeatBench(ctx, cfg, benchReps(fs, *quick, *sh.reps), s)
}

// benchReps is --reps, or 1 for --quick unless --reps was given.
func benchReps(fs *flag.FlagSet, quick bool, reps int) int {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "reps" })
	if quick && !given {
		return 1
	}
	return max(reps, 1)
}

// repeatBench runs the bench reps times, prints each run's table and then,
// for more than one, every goal-bearing figure's median and range.
func repeatBench(ctx context.Context, cfg bench.Config, reps int, s stdio) int {
	var runs []*bench.Results
	for i := range reps {
		if reps > 1 {
			fmt.Fprintf(s.out, "Repetition %d of %d; load average %s\n", i+1, reps, loadAverage())
		}
		res, err := bench.Run(ctx, cfg)
		if res != nil {
			res.Print(s.out)
			fmt.Fprintln(s.out)
		}
		if err != nil {
			fmt.Fprintf(s.err, "bench: %v\n", err)
			return 1
		}
		runs = append(runs, res)
	}
	if reps > 1 {
		bench.PrintFigures(s.out, bench.Figures(runs))
	}
	return 0
}

// startChildServer runs `tailgate mock-vllm` with the bench's fixed profile
// as a child process on a free loopback port and waits for /health.
func startChildServer(ctx context.Context, s stdio) (bench.Target, func() error, error) {
	exe, err := os.Executable()
	if err != nil {
		return bench.Target{}, nil, fmt.Errorf("find the tailgate binary for the child server: %w (or use --server inprocess)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return bench.Target{}, nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(exe, "mock-vllm", "--port", strconv.Itoa(port), "--model", "qwen3-8b", "--profile", "fixed",
		"--ttft", bench.ServerTTFT.String(), "--itl", bench.ServerITL.String(), "--truth-capacity", strconv.Itoa(bench.TruthCapacity), "--record-token-writes")
	cmd.Stdout = s.err
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return bench.Target{}, nil, err
	}
	if err := cmd.Start(); err != nil {
		return bench.Target{}, nil, fmt.Errorf("start %s mock-vllm: %w", exe, err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintf(s.err, "mock-vllm: %s\n", sc.Text())
		}
	}()
	stop := func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		return nil
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return bench.Target{}, nil, fmt.Errorf("the child mock-vllm on port %d did not answer /health within 15s", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return bench.Target{URL: base, Model: "qwen3-8b", Truth: bench.HTTPTruth(base)}, stop, nil
}
