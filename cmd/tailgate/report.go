package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// reportFlags are the flags of `tailgate report`.
type reportFlags struct {
	asJSON, asMarkdown, compare, merge *bool
	out, sla, s3Endpoint               *string
	views                              *reportViews
}

// runReport prints a report directory as a table, as JSON in inference-perf's
// current lifecycle format (or chosen percentiles), as Markdown, as its
// timeline, writes its HTML page, compares two, or merges shards into one.
func runReport(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(s.err)
	f := bindReportFlags(fs)
	fs.Usage = func() { reportUsage(s, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case *f.compare && *f.merge:
		fmt.Fprintln(s.err, "report: choose one of --compare and --merge")
		return 2
	case *f.compare:
		return runCompare(fs, f, s)
	case *f.merge:
		return runMerge(fs.Args(), *f.out, *f.sla, s)
	case *f.out != "":
		fmt.Fprintln(s.err, "report: --out is the directory --merge writes; give --merge too")
		return 2
	}
	return runShow(ctx, fs, f, s)
}

func bindReportFlags(fs *flag.FlagSet) *reportFlags {
	return &reportFlags{
		asJSON:     fs.Bool("json", false, `print {"summary": …, "stages": [...]} in inference-perf's current lifecycle format (seconds), whatever generation DIR holds`),
		asMarkdown: fs.Bool("markdown", false, "print a Markdown summary"),
		compare:    fs.Bool("compare", false, "compare two report directories and judge NEW's regressions against BASE: tailgate report [--sla FILE] --compare BASE NEW (exit 1 on a regression, 3 when it cannot be judged)"),
		merge:      fs.Bool("merge", false, "merge the report directories of every shard of one run (or of repeated runs) into --out: tailgate report --merge --out DIR DIR... (exit 1 when they cannot be merged, 3 when a shard did not deliver its load)"),
		out:        fs.String("out", "", "directory --merge writes the merged report into"),
		views:      bindViews(fs),
		sla:        fs.String("sla", "", "judge DIR against this SLA file: exit 0 kept, 1 broken, 3 not judgeable (DIR may be s3://bucket/prefix); with --compare, the SLA file whose regression block to judge (default: P99 TTFT, ITL and request latency +10%, error rate +0.5 points, throughput -5%); with --merge, judge the merged report"),
		s3Endpoint: fs.String("s3-endpoint", os.Getenv("TAILGATE_S3_ENDPOINT"), "endpoint of an S3-compatible server for an s3:// source (env TAILGATE_S3_ENDPOINT)"),
	}
}

func reportUsage(s stdio, fs *flag.FlagSet) {
	fmt.Fprintln(s.err, "usage: tailgate report [--json | --markdown] DIR")
	fmt.Fprintln(s.err, "       tailgate report [--json --percentiles 99.99 | --timeline | --html [--screenshot]] DIR")
	fmt.Fprintln(s.err, "       tailgate report [--sla FILE] --compare BASE NEW")
	fmt.Fprintln(s.err, "       tailgate report --sla FILE DIR|s3://bucket/prefix")
	fmt.Fprintln(s.err, "       tailgate report --merge --out DIR [--sla FILE] SHARD_DIR...")
	fmt.Fprintln(s.err)
	fmt.Fprintln(s.err, "DIR holds inference-perf lifecycle reports (summary_lifecycle_metrics.json,")
	fmt.Fprintln(s.err, "stage_<N>_lifecycle_metrics.json) of any inference-perf release, or tailgate's own.")
	fs.PrintDefaults()
}

// runCompare compares BASE and NEW and judges NEW's regressions.
func runCompare(fs *flag.FlagSet, f *reportFlags, s stdio) int {
	if fs.NArg() != 2 || *f.asJSON || *f.asMarkdown {
		fmt.Fprintln(s.err, "report: --compare takes exactly two directories, BASE and NEW, and no other flag")
		return 2
	}
	base, err := report.ReadDir(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(s.err, "report: base: %v\n", err)
		return 1
	}
	cur, err := report.ReadDir(fs.Arg(1))
	if err != nil {
		fmt.Fprintf(s.err, "report: new: %v\n", err)
		return 1
	}
	if err := report.Compare(base, cur).WriteText(s.out); err != nil {
		fmt.Fprintf(s.err, "report: %v\n", err)
		return 1
	}
	return judgeComparison(fs.Arg(0), cur, *f.sla, s)
}

// runShow prints one report directory in the chosen form, and judges it
// against the SLA file when one is given.
func runShow(ctx context.Context, fs *flag.FlagSet, f *reportFlags, s stdio) int {
	if fs.NArg() != 1 {
		fmt.Fprintln(s.err, "report: want exactly one report directory")
		fs.Usage()
		return 2
	}
	if *f.asJSON && *f.asMarkdown {
		fmt.Fprintln(s.err, "report: choose one of --json and --markdown")
		return 2
	}
	if code := f.views.check(*f.asJSON, *f.asMarkdown, s); code != 0 {
		return code
	}
	r, err := readReportSource(ctx, fs.Arg(0), *f.s3Endpoint)
	if err != nil {
		fmt.Fprintf(s.err, "report: %v\n", err)
		return 1
	}
	if f.views.any() {
		return f.views.run(ctx, fs.Arg(0), r, s)
	}
	if err := writeReport(r, *f.asJSON, *f.asMarkdown, s); err != nil {
		fmt.Fprintf(s.err, "report: %v\n", err)
		return 1
	}
	if *f.sla != "" {
		fmt.Fprintln(s.out)
		return judgeReport(r, *f.sla, s)
	}
	return 0
}

// writeReport prints r as JSON, Markdown or the table.
func writeReport(r *report.Report, asJSON, asMarkdown bool, s stdio) error {
	switch {
	case asJSON:
		data, err := r.JSON()
		if err != nil {
			return err
		}
		_, err = s.out.Write(append(data, '\n'))
		return err
	case asMarkdown:
		return r.WriteMarkdown(s.out)
	}
	return r.WriteText(s.out)
}
