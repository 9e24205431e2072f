package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// runMockVLLM serves the simulated vLLM until the context is cancelled (Ctrl-C, SIGTERM).
func runMockVLLM(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("mock-vllm", flag.ContinueOnError)
	fs.SetOutput(s.err)
	f := mockVLLMFlagsOn(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts, err := f.options(fs, s)
	if err != nil {
		fmt.Fprintf(s.err, "mock-vllm: %v\n", err)
		return 2
	}
	if *f.tok != "" {
		t, err := loadTokenizer(ctx, *f.tok, opts.Logger)
		if err != nil {
			fmt.Fprintf(s.err, "mock-vllm: --tokenizer: %v\n", err)
			return 1
		}
		opts.Tokenizer = t
	}
	srv, err := mockvllm.Start(ctx, opts)
	if err != nil {
		fmt.Fprintf(s.err, "mock-vllm: %v\n", err)
		return 1
	}
	noise := ""
	if srv.Profile().Noise.On() {
		noise = ", timing noise on"
	}
	fmt.Fprintf(s.out, "mock-vllm: serving %s (profile %s%s) at %s\n", opts.Model, srv.Profile().Name, noise, srv.URL())
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintf(s.err, "mock-vllm: close: %v\n", err)
		return 1
	}
	return 0
}

// mockVLLMFlags are mock-vllm's command-line flags.
type mockVLLMFlags struct {
	host, model, profile, tok          *string
	port, maxModelLen, maxWaiting, cap *int
	ttft, itl                          *time.Duration
	seed, maxBody                      *int64
	tokenWrites, verbose               *bool
	faults                             mockvllm.Faults
	jitter                             jitterFlag
}

// mockVLLMFlagsOn defines mock-vllm's flags on fs.
func mockVLLMFlagsOn(fs *flag.FlagSet) *mockVLLMFlags {
	f := &mockVLLMFlags{
		host:        fs.String("host", "127.0.0.1", "address to listen on (0.0.0.0 inside a container)"),
		port:        fs.Int("port", 8000, "TCP port"),
		model:       fs.String("model", "qwen3-8b", "served model name (the guide's --served-model-name)"),
		profile:     fs.String("profile", "qwen3-8b-h100", "latency profile: fixed, h100-llama3-8b or qwen3-8b-h100"),
		ttft:        fs.Duration("ttft", 0, "fixed profile: time to first token (default 50ms)"),
		itl:         fs.Duration("itl", 0, "fixed profile: inter-token latency (default 10ms)"),
		tok:         fs.String("tokenizer", "", "tokenizer.json, model directory or Hugging Face model id to count tokens exactly (default: about 4 bytes per token)"),
		seed:        fs.Int64("seed", 1, "seed for token text, output lengths and fault draws"),
		maxModelLen: fs.Int("max-model-len", 0, "context window in tokens (default: the profile's)"),
		maxWaiting:  fs.Int("max-waiting", 0, "answer 429 when this many requests wait (0: unlimited)"),
		maxBody:     fs.Int64("max-body-bytes", 4<<20, "largest accepted request body (413 above)"),
		cap:         fs.Int("truth-capacity", 10000, "request records kept for /debug/requests"),
		tokenWrites: fs.Bool("record-token-writes", false, "keep every token's write time in /debug/requests"),
	}
	fs.Float64Var(&f.faults.ErrorRate, "fault-error-rate", 0, "share of requests answered with --fault-error-status")
	fs.IntVar(&f.faults.ErrorStatus, "fault-error-status", 503, "status of injected errors")
	fs.Float64Var(&f.faults.DisconnectRate, "fault-disconnect-rate", 0, "share of streams cut after --fault-disconnect-after tokens")
	fs.IntVar(&f.faults.DisconnectAfter, "fault-disconnect-after", 1, "tokens written before an injected disconnect")
	fs.Float64Var(&f.faults.StallRate, "fault-stall-rate", 0, "share of streams paused for --fault-stall")
	fs.DurationVar(&f.faults.Stall, "fault-stall", 500*time.Millisecond, "length of an injected stall")
	fs.IntVar(&f.faults.StallAfter, "fault-stall-after", 1, "tokens written before an injected stall")
	fs.Var(&f.jitter, "jitter", "timing noise fitted to a real H100 run (front-end queue, step spread): --jitter turns it on for --profile fixed, --jitter=false turns it off (default: on for the batching profiles, off for fixed)")
	f.verbose = fs.Bool("v", false, "log each start-up step")
	return f
}

// options checks the parsed flags and turns them into the simulator's options.
func (f *mockVLLMFlags) options(fs *flag.FlagSet, s stdio) (mockvllm.Options, error) {
	if fs.NArg() > 0 {
		return mockvllm.Options{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *f.port < 0 || *f.port > 65535 {
		return mockvllm.Options{}, fmt.Errorf("--port %d is not a TCP port (0..65535)", *f.port)
	}
	level := slog.LevelWarn
	if *f.verbose {
		level = slog.LevelInfo
	}
	opts := mockvllm.Options{
		Model: *f.model, Profile: *f.profile, Seed: *f.seed,
		Addr:        net.JoinHostPort(*f.host, strconv.Itoa(*f.port)),
		MaxModelLen: *f.maxModelLen, MaxWaiting: *f.maxWaiting, MaxBodyBytes: *f.maxBody,
		TruthCapacity: *f.cap, RecordTokenWrites: *f.tokenWrites, Faults: f.faults, Jitter: f.jitter.mode,
		Logger: slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: level})),
	}
	if *f.ttft == 0 && *f.itl == 0 {
		return opts, nil
	}
	if *f.profile != "fixed" {
		return opts, fmt.Errorf("--ttft and --itl apply to --profile fixed only")
	}
	p, _ := mockvllm.ProfileByName("fixed")
	if *f.ttft != 0 {
		p.TTFT = *f.ttft
	}
	if *f.itl != 0 {
		p.ITL = *f.itl
	}
	opts.CustomProfile = &p
	return opts, nil
}

// loadTokenizer loads the tokenizer named by mock-vllm's --tokenizer flag: a
// tokenizer.json, a model directory or a Hugging Face model id.
func loadTokenizer(ctx context.Context, ref string, log *slog.Logger) (mockvllm.Tokenizer, error) {
	return tokenizer.Load(ctx, ref, tokenizer.LoadOptions{Logger: log})
}

// jitterFlag is mock-vllm's --jitter: absent keeps the profile's noise, --jitter or
// --jitter=true turns it on, --jitter=false turns it off.
type jitterFlag struct{ mode mockvllm.Jitter }

func (f *jitterFlag) String() string {
	switch f.mode {
	case mockvllm.JitterOn:
		return "true"
	case mockvllm.JitterOff:
		return "false"
	}
	return ""
}

func (f *jitterFlag) Set(v string) error {
	on, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", v)
	}
	f.mode = mockvllm.JitterOff
	if on {
		f.mode = mockvllm.JitterOn
	}
	return nil
}

func (f *jitterFlag) IsBoolFlag() bool { return true }
