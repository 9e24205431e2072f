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
	"strings"
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
	nice := fs.Int("server-nice", 10, "scheduling niceness of the child simulator (--server process): the bench shares one machine's cores between server and generator, and at 10 the simulator yields them to the generator under test, as a server on its own machine would; 0 runs both at the same priority")
	only := fs.String("only", "", "comma-separated sections to run ("+strings.Join(bench.SectionNames(), ", ")+"; default all)")
	sh := bindShardBench(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var sections []string
	if *only != "" {
		sections = strings.Split(*only, ",")
		if err := bench.CheckSections(sections); err != nil {
			fmt.Fprintf(s.err, "%v (--only)\n", err)
			return 2
		}
	}
	if *server != "process" && *server != "inprocess" {
		fmt.Fprintf(s.err, "bench: --server %q: use process or inprocess\n", *server)
		return 2
	}
	startProcess := func(ctx context.Context) (bench.Target, func() error, error) {
		return startChildServer(ctx, *nice, s)
	}
	var cfg bench.Config
	if *server == "process" && !*sh.on {
		cfg.Restart = startProcess // a fresh server for each section
	} else {
		start := startProcess
		if *server == "inprocess" {
			start = bench.StartInProcess
		}
		target, stop, err := start(ctx)
		if err != nil {
			fmt.Fprintf(s.err, "bench: %v\n", err)
			return 1
		}
		defer stop()
		if *sh.on {
			return runShardBench(ctx, target, sh, s)
		}
		cfg.Target = target
	}
	if *quick {
		cfg = bench.Quick(cfg.Target, cfg.Restart)
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
	cfg.Sections = sections
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
// as a child process on a free loopback port, at the given niceness (through
// the nice command), and waits for /health.
func startChildServer(ctx context.Context, nice int, s stdio) (bench.Target, func() error, error) {
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
	args := []string{exe, "mock-vllm", "--port", strconv.Itoa(port), "--model", "qwen3-8b", "--profile", "fixed",
		"--ttft", bench.ServerTTFT.String(), "--itl", bench.ServerITL.String(), "--truth-capacity", strconv.Itoa(bench.TruthCapacity), "--record-token-writes"}
	if nice != 0 {
		niceCmd, err := exec.LookPath("nice")
		if err != nil {
			return bench.Target{}, nil, fmt.Errorf("--server-nice %d needs the nice command (%w); use --server-nice 0", nice, err)
		}
		args = append([]string{niceCmd, "-n", strconv.Itoa(nice)}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
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
	return bench.Target{URL: base, Model: "qwen3-8b", Truth: bench.HTTPTruth(base), Nice: nice}, stop, nil
}
