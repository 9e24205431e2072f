package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// runTokenize reads one JSON string per line on stdin and writes, per line, the JSON array
// of its token ids (or its token count with --count).
func runTokenize(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("tokenize", flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: tailgate tokenize [flags] < lines")
		fmt.Fprintln(s.err, "")
		fmt.Fprintln(s.err, "Reads one JSON string per line on stdin and writes one line per input line: the JSON array")
		fmt.Fprintln(s.err, "of token ids, with the special tokens the tokenizer's post-processor adds (a BOS, for example),")
		fmt.Fprintln(s.err, "or the token count with --count; the count is what vLLM reports as usage.prompt_tokens.")
		fmt.Fprintln(s.err, "")
		fs.PrintDefaults()
	}
	defTok := os.Getenv("TAILGATE_TOKENIZER")
	if defTok == "" {
		defTok = "Qwen/Qwen3-8B"
	}
	ref := fs.String("tokenizer", defTok, "tokenizer.json file, model directory or Hugging Face model id ($TAILGATE_TOKENIZER sets the default)")
	count := fs.Bool("count", false, "write token counts instead of ids")
	noSpecial := fs.Bool("no-special-tokens", false, "do not add the post-processor's special tokens (add_special_tokens=False)")
	revision := fs.String("revision", "", "model revision on the Hugging Face hub (default main)")
	offline := fs.Bool("offline", false, "use the Hugging Face cache only (like HF_HUB_OFFLINE=1)")
	backend := fs.String("backend", "go", "implementation: go (pure Go) or rust (binaries built with -tags hftokenizers)")
	verbose := fs.Bool("v", false, "log where the tokenizer came from")
	allowInvalid := fs.Bool("allow-invalid-utf8", false, "tokenize a line with invalid UTF-8 after replacing it with U+FFFD, instead of refusing the line")
	maxWord := fs.Int("max-word-bytes", defaultMaxWordBytes, "refuse a line with a longer run of bytes without whitespace (BPE memory grows with it); 0 for no bound")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(s.err, "tokenize: unexpected argument %q (text is read from stdin, one JSON string per line)\n", fs.Arg(0))
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: level}))
	tok, err := tokenizer.Load(ctx, *ref, tokenizer.LoadOptions{
		Revision: *revision, Offline: *offline, Logger: logger, Backend: tokenizer.Backend(*backend),
	})
	if err != nil {
		fmt.Fprintf(s.err, "tokenize: %v\n", err)
		return 1
	}
	out := bufio.NewWriter(s.out)
	defer out.Flush()
	check := func(raw []byte) error { return checkLine(raw, *allowInvalid, *maxWord) }
	if err := tokenizeLines(ctx, tok, s.in, out, *count, !*noSpecial, check); err != nil {
		out.Flush()
		fmt.Fprintf(s.err, "tokenize: %v\n", err)
		return 1
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(s.err, "tokenize: writing output: %v\n", err)
		return 1
	}
	return 0
}

// tokenizeLines tokenizes every line of in after check accepts it.
func tokenizeLines(ctx context.Context, tok tokenizer.Tokenizer, in io.Reader, out *bufio.Writer, count, special bool, check func([]byte) error) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), 256<<20)
	buf := make([]byte, 0, 4096)
	for line := 1; sc.Scan(); line++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var text string
		if err := json.Unmarshal(sc.Bytes(), &text); err != nil {
			return fmt.Errorf("stdin line %d: want one JSON string per line, such as \"Hello world\": %v", line, err)
		}
		if err := check(sc.Bytes()); err != nil {
			return fmt.Errorf("stdin line %d: %w", line, err)
		}
		buf = buf[:0]
		if count {
			n, err := tok.Count(text, special)
			if err != nil {
				return fmt.Errorf("stdin line %d: %w", line, err)
			}
			buf = strconv.AppendInt(buf, int64(n), 10)
		} else {
			ids, err := tok.Encode(text, special)
			if err != nil {
				return fmt.Errorf("stdin line %d: %w", line, err)
			}
			buf = append(buf, '[')
			for i, id := range ids {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendInt(buf, int64(id), 10)
			}
			buf = append(buf, ']')
		}
		buf = append(buf, '\n')
		if _, err := out.Write(buf); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading stdin: %w", err)
	}
	return nil
}
