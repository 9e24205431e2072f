// Command tailgate runs LLM inference release gates from the shell: it serves the
// simulated vLLM, renders inference-perf configs, reads reports, tokenizes text and
// runs a scenario against a target with an optional SLA.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one tailgate subcommand. run gets the arguments after the subcommand
// name and returns the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdio stdio) int
}

// stdio carries the streams a subcommand reads and writes, so tests can drive
// subcommands without touching the process's own streams.
type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// commands lists every subcommand. Each lives in its own file in this package.
func commands() map[string]command {
	return map[string]command{
		// One line per subcommand, kept sorted.
		"bench":     {summary: "measure the native load engine against the simulated vLLM on loopback and print the bench table", run: runBench},
		"calibrate": {summary: "compare a simulated vLLM profile with a real inference-perf run, stage by stage", run: runCalibrate},
		"mock-vllm": {summary: "serve the simulated vLLM (OpenAI API, batching GPU model, faults)", run: runMockVLLM},
		"report":    {summary: "print an inference-perf report directory (table, --json, --markdown) or --compare two", run: runReport},
		"plan":      {summary: "print how long each stage of a scenario must run for the gate to judge each promise of an SLA file", run: runPlan},
		"render":    {summary: "print the inference-perf config.yml of a preset, config file or AI-on-EKS values file (secrets redacted)", run: runRender},
		"run":       {summary: "run a scenario against a target and judge it against an SLA file (exit 0 pass, 1 fail, 3 inconclusive)", run: runRun},
		"study":     {summary: "measure how often each gate method fails an unchanged simulated server and catches injected regressions", run: runStudy},
		"tokenize":  {summary: "print token ids or counts of JSON-string lines, exactly as the model's tokenizer", run: runTokenize},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

// dispatch picks the subcommand named by args[0] and runs it.
func dispatch(ctx context.Context, args []string, s stdio) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.err, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(s.err, "tailgate: unknown command %q\n\n", args[0])
		usage(s.err, cmds)
		return 2
	}
	return cmd.run(ctx, args[1:], s)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: tailgate <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-12s %s\n", name, cmds[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'tailgate <command> -h' for the flags of one command.")
}
