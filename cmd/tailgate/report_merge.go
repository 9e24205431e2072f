package main

import (
	"fmt"
	"strings"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
)

// runMerge merges the report directories dirs (every shard of one run, or
// repeated runs) exactly, writes the merged report into out and prints it.
// Without an SLA file it checks that every shard delivered its load: exit 0
// when it did, 3 when a shard fell behind (named), 1 when the directories
// cannot be read or merged, 2 for usage errors. With one, it judges the
// merged report against it as `tailgate report --sla` does.
func runMerge(dirs []string, out, sla string, s stdio) int {
	if out == "" || len(dirs) < 1 {
		fmt.Fprintln(s.err, "report: --merge needs --out DIR and at least one report directory: tailgate report --merge --out DIR SHARD_DIR...")
		return 2
	}
	for _, d := range dirs {
		if d == out {
			fmt.Fprintf(s.err, "report: --out %s is one of the directories to merge; write the merge elsewhere\n", out)
			return 2
		}
	}
	reports := make([]*report.Report, len(dirs))
	for i, d := range dirs {
		r, err := report.ReadDir(d)
		if err != nil {
			fmt.Fprintf(s.err, "report: merge: %v\n", err)
			return 1
		}
		reports[i] = r
	}
	merged, err := report.Merge(reports...)
	if err != nil {
		fmt.Fprintf(s.err, "report: %v\n", err)
		return 1
	}
	if err := report.WriteDir(out, merged); err != nil {
		fmt.Fprintf(s.err, "report: merge: %v\n", err)
		return 1
	}
	merged.Source = out
	if err := merged.WriteText(s.out); err != nil {
		fmt.Fprintf(s.err, "report: %v\n", err)
		return 1
	}
	fmt.Fprintln(s.out)
	if sla != "" {
		return judgeReport(merged, sla, s)
	}
	return mergedDelivery(merged, len(dirs), s)
}

// mergedDelivery prints whether every merged report (every shard, when they
// are shards) delivered its load, and returns 0 when it did, 3 otherwise.
func mergedDelivery(r *report.Report, n int, s stdio) int {
	m := matchers.HaveDeliveredLoad()
	ok, err := m.Match(r)
	what := fmt.Sprintf("%d reports", n)
	if len(r.Shards) > 0 {
		what = fmt.Sprintf("%d shards of run %s", n, r.Shards[0].Shard.RunID)
	}
	switch {
	case err != nil:
		fmt.Fprintf(s.out, "merged %s; load delivered: cannot tell: %v\n", what, err)
		return exitInconclusive
	case !ok:
		fmt.Fprintf(s.out, "merged %s; %s\n", what, strings.TrimSpace(m.FailureMessage(r)))
		return exitInconclusive
	}
	fmt.Fprintf(s.out, "merged %s; load delivered by every one\n", what)
	return 0
}
