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
	host := fs.String("host", "127.0.0.1", "address to listen on (0.0.0.0 inside a container)")
	port := fs.Int("port", 8000, "TCP port")
	model := fs.String("model", "qwen3-8b", "served model name (the guide's --served-model-name)")
	profile := fs.String("profile", "qwen3-8b-h100", "latency profile: fixed, h100-llama3-8b or qwen3-8b-h100")
	ttft := fs.Duration("ttft", 0, "fixed profile: time to first token (default 50ms)")
	itl := fs.Duration("itl", 0, "fixed profile: inter-token latency (default 10ms)")
	tok := fs.String("tokenizer", "", "tokenizer.json, model directory or Hugging Face model id to count tokens exactly (default: about 4 bytes per token)")
	seed := fs.Int64("seed", 1, "seed for token text, output lengths and fault draws")
	maxModelLen := fs.Int("max-model-len", 0, "context window in tokens (default: the profile's)")
	maxWaiting := fs.Int("max-waiting", 0, "answer 429 when this many requests wait (0: unlimited)")
	maxBody := fs.Int64("max-body-bytes", 4<<20, "largest accepted request body (413 above)")
	truthCap := fs.Int("truth-capacity", 10000, "request records kept for /debug/requests")
	tokenWrites := fs.Bool("record-token-writes", false, "keep every token's write time in /debug/requests")
	var faults mockvllm.Faults
	fs.Float64Var(&faults.ErrorRate, "fault-error-rate", 0, "share of requests answered with --fault-error-status")
	fs.IntVar(&faults.ErrorStatus, "fault-error-status", 503, "status of injected errors")
	fs.Float64Var(&faults.DisconnectRate, "fault-disconnect-rate", 0, "share of streams cut after --fault-disconnect-after tokens")
	fs.IntVar(&faults.DisconnectAfter, "fault-disconnect-after", 1, "tokens written before an injected disconnect")
	fs.Float64Var(&faults.StallRate, "fault-stall-rate", 0, "share of streams paused for --fault-stall")
	fs.DurationVar(&faults.Stall, "fault-stall", 500*time.Millisecond, "length of an injected stall")
	fs.IntVar(&faults.StallAfter, "fault-stall-after", 1, "tokens written before an injected stall")
	var jitter jitterFlag
	fs.Var(&jitter, "jitter", "timing noise fitted to a real H100 run (front-end queue, step spread): --jitter turns it on for --profile fixed, --jitter=false turns it off (default: on for the batching profiles, off for fixed)")
	verbose := fs.Bool("v", false, "log each start-up step")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "mock-vllm: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *port < 0 || *port > 65535 {
		fmt.Fprintf(s.err, "mock-vllm: --port %d is not a TCP port (0..65535)\n", *port)
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	opts := mockvllm.Options{
		Model: *model, Profile: *profile, Seed: *seed,
		Addr:        net.JoinHostPort(*host, strconv.Itoa(*port)),
		MaxModelLen: *maxModelLen, MaxWaiting: *maxWaiting, MaxBodyBytes: *maxBody,
		TruthCapacity: *truthCap, RecordTokenWrites: *tokenWrites, Faults: faults, Jitter: jitter.mode,
		Logger: slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: level})),
	}
	if *ttft != 0 || *itl != 0 {
		if *profile != "fixed" {
			fmt.Fprintln(s.err, "mock-vllm: --ttft and --itl apply to --profile fixed only")
			return 2
		}
		p, _ := mockvllm.ProfileByName("fixed")
		if *ttft != 0 {
			p.TTFT = *ttft
		}
		if *itl != 0 {
			p.ITL = *itl
		}
		opts.CustomProfile = &p
	}
	if *tok != "" {
		t, err := loadTokenizer(ctx, *tok, opts.Logger)
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
	fmt.Fprintf(s.out, "mock-vllm: serving %s (profile %s%s) at %s\n", *model, srv.Profile().Name, noise, srv.URL())
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintf(s.err, "mock-vllm: close: %v\n", err)
		return 1
	}
	return 0
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
