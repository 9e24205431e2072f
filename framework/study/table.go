package study

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tailgate-dev/tailgate/matchers"
)

// Rate is how often a method failed the candidate, with its Wilson 95% interval.
type Rate struct {
	Fails, Reps int
	Low, High   float64
}

// Row is one server (unchanged or an injection) at one duration and design.
type Row struct {
	// Duration is the run length; Paired says whether baseline and candidate
	// shared one workload (arrivals, prompts, lengths) with independent server noise.
	Duration time.Duration
	Paired   bool
	// Server names the injection ("unchanged" for none).
	Server string
	// TrueChange is the injection's change of P99 TTFT: the ratio of the
	// median P99 over all its repetitions to the unchanged server's, minus one.
	TrueChange float64
	// Rates holds one Rate per method, in Methods order.
	Rates []Rate
}

// Result is the whole study.
type Result struct {
	Config  Config
	Methods []string
	Rows    []Row
	// Spreads is the run-to-run spread of the P99 ratio per duration.
	Spreads []Spread
}

// Measure runs the study: for each duration, Reps repetitions of every
// server, each judged by every method in the unpaired and the paired design.
func Measure(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Reps < 2 {
		return Result{}, fmt.Errorf("study: need at least 2 repetitions per cell, got %d", cfg.Reps)
	}
	methods := Methods(cfg.Tolerance, cfg.Threshold)
	res := Result{Config: cfg}
	for _, m := range methods {
		res.Methods = append(res.Methods, m.Name)
	}
	inj, err := cfg.injections()
	if err != nil {
		return Result{}, err
	}
	for _, d := range cfg.Durations {
		outs := make([]outcome, cfg.Reps)
		err := parallel(ctx, cfg.Workers, cfg.Reps, func(i int) error {
			var err error
			outs[i], err = repetition(d, i, inj, methods)
			return err
		})
		if err != nil {
			return res, err
		}
		res.Rows = append(res.Rows, rows(d, outs, inj, len(methods))...)
		res.Spreads = append(res.Spreads, spreadsOf(d, outs)...)
	}
	return res, nil
}

// rows counts the fails of every design, server and method over the repetitions.
func rows(d time.Duration, outs []outcome, inj []Injection, methods int) []Row {
	servers := append([]string{"unchanged"}, names(inj)...)
	baseP99 := medianP99(outs, 0)
	var out []Row
	for design := range 2 {
		for sv, name := range servers {
			r := Row{Duration: d, Paired: design == 1, Server: name}
			if sv > 0 {
				r.TrueChange = medianP99(outs, sv)/baseP99 - 1
			}
			for m := range methods {
				fails := 0
				for _, o := range outs {
					if o.fails[design][sv][m] {
						fails++
					}
				}
				lo, hi := matchers.WilsonInterval(int64(fails), int64(len(outs)), 0.95)
				r.Rates = append(r.Rates, Rate{Fails: fails, Reps: len(outs), Low: lo, High: hi})
			}
			out = append(out, r)
		}
	}
	return out
}

func names(inj []Injection) []string {
	out := make([]string, len(inj))
	for i, in := range inj {
		out[i] = in.Name
	}
	return out
}

// medianP99 is the median over repetitions of server sv's P99 TTFT: robust
// to the rare run whose P99 a long pause blew up.
func medianP99(outs []outcome, sv int) float64 {
	v := make([]float64, len(outs))
	for i, o := range outs {
		v[i] = o.p99[sv]
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// WriteMarkdown prints the result as a Markdown table: the fail rate of each
// method in percent with its 95% interval. On the unchanged server a fail is
// a false fail; on an injected regression it is a detection.
func (r Result) WriteMarkdown(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "| run | design | server | true Δ P99 TTFT |\t%s |\n", strings.Join(r.Methods, " |\t"))
	fmt.Fprintf(tw, "|---|---|---|---:|%s\n", strings.Repeat("---:|", len(r.Methods)))
	for _, row := range r.Rows {
		design := "unpaired"
		if row.Paired {
			design = "paired"
		}
		cells := make([]string, len(row.Rates))
		for i, rt := range row.Rates {
			cells[i] = fmt.Sprintf("%.1f%% (%.1f–%.1f)", 100*float64(rt.Fails)/float64(rt.Reps), 100*rt.Low, 100*rt.High)
		}
		fmt.Fprintf(tw, "| %s | %s | %s | %+.1f%% |\t%s |\n", row.Duration, design, row.Server, 100*row.TrueChange, strings.Join(cells, " |\t"))
	}
	return tw.Flush()
}

// Goals checks the production goals for the longest duration's better design
// of the regression default method: false fails ≤ 1% on the unchanged server and
// detection ≥ 95% of every injection whose true change is at least +10%.
func (r Result) Goals() []string {
	if len(r.Config.Durations) == 0 {
		return nil
	}
	longest := slices.Max(r.Config.Durations)
	col := slices.Index(r.Methods, "regression default")
	var out []string
	for _, row := range r.Rows {
		if row.Duration != longest || col < 0 {
			continue
		}
		rt := row.Rates[col]
		rate := float64(rt.Fails) / float64(rt.Reps)
		design := map[bool]string{false: "unpaired", true: "paired"}[row.Paired]
		switch {
		case row.Server == "unchanged" && rate > 0.01:
			out = append(out, fmt.Sprintf("%s %s: false fails %.1f%% > 1%% on the unchanged server", longest, design, 100*rate))
		case row.Server != "unchanged" && row.TrueChange >= 0.10 && rate < 0.95:
			out = append(out, fmt.Sprintf("%s %s: %s (true %+.1f%%) detected %.1f%% < 95%%", longest, design, row.Server, 100*row.TrueChange, 100*rate))
		}
	}
	return out
}
