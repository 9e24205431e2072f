package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// runReport prints a report directory as a table, as JSON in inference-perf's
// current lifecycle format (or chosen percentiles), as Markdown, as its
// timeline, writes its HTML page, or compares two.
func runReport(ctx context.Context, args []string, s stdio) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(s.err)
	asJSON := fs.Bool("json", false, `print {"summary": …, "stages": [...]} in inference-perf's current lifecycle format (seconds), whatever generation DIR holds`)
	asMarkdown := fs.Bool("markdown", false, "print a Markdown summary")
	compare := fs.Bool("compare", false, "compare two report directories and judge NEW's regressions against BASE: tailgate report [--sla FILE] --compare BASE NEW (exit 1 on a regression, 3 when it cannot be judged)")
	views := bindViews(fs)
	sla := fs.String("sla", "", "judge DIR against this SLA file: exit 0 kept, 1 broken, 3 not judgeable (DIR may be s3://bucket/prefix); with --compare, the SLA file whose regression block to judge (default: P99 TTFT, ITL and request latency +10%, error rate +0.5 points, throughput -5%)")
	s3Endpoint := fs.String("s3-endpoint", os.Getenv("TAILGATE_S3_ENDPOINT"), "endpoint of an S3-compatible server for an s3:// source (env TAILGATE_S3_ENDPOINT)")
	fs.Usage = func() {
		fmt.Fprintln(s.err, "usage: tailgate report [--json | --markdown] DIR")
		fmt.Fprintln(s.err, "       tailgate report [--json --percentiles 99.99 | --timeline | --html [--screenshot]] DIR")
		fmt.Fprintln(s.err, "       tailgate report [--sla FILE] --compare BASE NEW")
		fmt.Fprintln(s.err, "       tailgate report --sla FILE DIR|s3://bucket/prefix")
		fmt.Fprintln(s.err)
		fmt.Fprintln(s.err, "DIR holds inference-perf lifecycle reports (summary_lifecycle_metrics.json,")
		fmt.Fprintln(s.err, "stage_<N>_lifecycle_metrics.json) of any inference-perf release, or tailgate's own.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *compare {
		if fs.NArg() != 2 || *asJSON || *asMarkdown {
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
		return judgeComparison(fs.Arg(0), cur, *sla, s)
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(s.err, "report: want exactly one report directory")
		fs.Usage()
		return 2
	}
	if *asJSON && *asMarkdown {
		fmt.Fprintln(s.err, "report: choose one of --json and --markdown")
		return 2
	}
	if code := views.check(*asJSON, *asMarkdown, s); code != 0 {
		return code
	}
	r, err := readReportSource(ctx, fs.Arg(0), *s3Endpoint)
	if err != nil {
		fmt.Fprintf(s.err, "report: %v\n", err)
		return 1
	}
	if views.any() {
		return views.run(ctx, fs.Arg(0), r, s)
	}
	switch {
	case *asJSON:
		data, err := r.JSON()
		if err != nil {
			fmt.Fprintf(s.err, "report: %v\n", err)
			return 1
		}
		_, err = s.out.Write(append(data, '\n'))
		if err != nil {
			return 1
		}
	case *asMarkdown:
		err = r.WriteMarkdown(s.out)
	default:
		err = r.WriteText(s.out)
	}
	if err != nil {
		fmt.Fprintf(s.err, "report: %v\n", err)
		return 1
	}
	if *sla != "" {
		fmt.Fprintln(s.out)
		return judgeReport(r, *sla, s)
	}
	return 0
}
