package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/report/browser"
)

// reportViews are the report command's views of a directory beyond the
// table: the timeline, the HTML page and chosen percentiles.
type reportViews struct {
	timeline, html, screenshot *bool
	percentiles                *string
}

func bindViews(fs *flag.FlagSet) *reportViews {
	return &reportViews{
		timeline:    fs.Bool("timeline", false, "print the per-interval time series: achieved rate, in flight, errors, P50/P99 of TTFT, ITL and request latency"),
		html:        fs.Bool("html", false, "write DIR/report.html, the self-contained HTML report"),
		screenshot:  fs.Bool("screenshot", false, "with --html: also write DIR/report.png, a screenshot taken by headless Chromium"),
		percentiles: fs.String("percentiles", "", "with --json: print these percentiles (comma-separated, e.g. 99.99 or 50,99,99.9) of every metric instead of the lifecycle format"),
	}
}

func (v *reportViews) any() bool { return *v.timeline || *v.html || *v.percentiles != "" }

// check refuses combinations that do not make sense; 0 means fine.
func (v *reportViews) check(asJSON, asMarkdown bool, s stdio) int {
	n := 0
	for _, b := range []bool{*v.timeline, *v.html, asMarkdown, asJSON} {
		if b {
			n++
		}
	}
	switch {
	case n > 1:
		fmt.Fprintln(s.err, "report: choose one of --json, --markdown, --timeline and --html")
	case *v.screenshot && !*v.html:
		fmt.Fprintln(s.err, "report: --screenshot goes with --html")
	case *v.percentiles != "" && !asJSON:
		fmt.Fprintln(s.err, "report: --percentiles goes with --json: tailgate report --json --percentiles 99.99 DIR")
	default:
		return 0
	}
	return 2
}

func (v *reportViews) run(ctx context.Context, dir string, r *report.Report, s stdio) int {
	var err error
	switch {
	case *v.timeline:
		err = r.WriteTimeline(s.out)
	case *v.html:
		err = writeHTML(ctx, dir, r, *v.screenshot, s)
	default:
		err = printPercentiles(*v.percentiles, r, s)
	}
	if err != nil {
		fmt.Fprintf(s.err, "report: %v\n", err)
		return 1
	}
	return 0
}

func writeHTML(ctx context.Context, dir string, r *report.Report, shot bool, s stdio) error {
	if err := report.WriteHTMLFile(dir, r, nil); err != nil {
		return err
	}
	page := filepath.Join(dir, report.HTMLFile)
	fmt.Fprintf(s.out, "wrote %s\n", page)
	if !shot {
		return nil
	}
	png := filepath.Join(dir, "report.png")
	if err := browser.Screenshot(ctx, page, png, 1400, 3000); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "wrote %s\n", png)
	return nil
}

func printPercentiles(list string, r *report.Report, s stdio) error {
	var ps []float64
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimPrefix(strings.TrimSpace(f), "p")
		p, err := strconv.ParseFloat(f, 64)
		if err != nil || !(p > 0 && p <= 100) {
			return fmt.Errorf("--percentiles %q: want percentiles in (0,100] separated by commas, such as 99.99 or 50,99,99.9", list)
		}
		ps = append(ps, p)
	}
	data, err := r.PercentilesJSON(ps)
	if err != nil {
		return err
	}
	_, err = s.out.Write(append(data, '\n'))
	return err
}
