package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

// Exit status of `tailgate report --sla`.
const (
	exitKept         = 0
	exitBroken       = 1
	exitInconclusive = 3
)

// readReportSource reads a report directory, or the report files under an
// s3://bucket/prefix (credentials and region from the AWS chain; endpoint, for an
// S3-compatible server, from s3Endpoint).
func readReportSource(ctx context.Context, src, s3Endpoint string) (*report.Report, error) {
	rest, ok := strings.CutPrefix(src, "s3://")
	if !ok {
		return report.ReadDir(src)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	dir, err := os.MkdirTemp("", "tailgate-s3-report-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	opts := cluster.S3Options{Endpoint: s3Endpoint, UsePathStyle: s3Endpoint != ""}
	if s3Endpoint != "" && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		opts.Region = "us-east-1"
	}
	if _, err := cluster.DownloadS3Reports(ctx, opts, cluster.S3Location{Bucket: bucket, Prefix: prefix}, dir); err != nil {
		return nil, err
	}
	r, err := report.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	r.Source = src
	return r, nil
}

// judgeReport judges r against the SLA file's promises, one line per promise, and
// returns 0 when every promise holds, 1 when one breaks, 3 when none breaks but one
// could not be judged (errors.Is(err, matchers.ErrInconclusive), or a figure the
// report's inference-perf release cannot give).
func judgeReport(r *report.Report, slaFile string, s stdio) int {
	sla, err := matchers.LoadSLA(slaFile)
	if err != nil {
		fmt.Fprintf(s.err, "report: %v\n", err)
		return 2
	}
	for _, c := range dedupe(report.Corrections(r)) {
		fmt.Fprintf(s.out, "NOTE  %s\n", c)
	}
	broken, refused, other := 0, 0, 0
	promises := sla.Promises()
	for _, p := range promises {
		ok, merr := p.Matcher.Match(r)
		switch {
		case merr != nil && (errors.Is(merr, matchers.ErrInconclusive) || errors.Is(merr, report.ErrLineStamped)):
			refused++
			fmt.Fprintf(s.out, "INCONCLUSIVE  %s: %v\n", p.Name, merr)
		case merr != nil:
			other++
			fmt.Fprintf(s.out, "ERROR  %s: %v\n", p.Name, merr)
		case !ok:
			broken++
			fmt.Fprintf(s.out, "FAIL  %s: %s\n", p.Name, p.Matcher.FailureMessage(r))
		default:
			fmt.Fprintf(s.out, "PASS  %s\n", p.Name)
		}
	}
	switch {
	case broken+other > 0:
		fmt.Fprintf(s.out, "\n%d of %d promises broken or not judged\n", broken+other+refused, len(promises))
		return exitBroken
	case refused > 0:
		fmt.Fprintf(s.out, "\n%d of %d promises could not be judged on this report\n", refused, len(promises))
		return exitInconclusive
	}
	fmt.Fprintf(s.out, "\nall %d promises hold\n", len(promises))
	return exitKept
}

// dedupe keeps the first of lines that read the same once the stage name is dropped.
func dedupe(lines []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		_, rest, _ := strings.Cut(l, ": ")
		if key := strings.SplitN(rest, " (", 2)[0]; !seen[key] {
			seen[key] = true
			out = append(out, l)
		}
	}
	return out
}
