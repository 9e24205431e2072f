package report_test

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// shardRuns builds n shards of one run: known runs started together, each
// marked as shard i of n of run id.
func shardRuns(id string, n int, start time.Time) []*report.Report {
	out := make([]*report.Report, n)
	for i := range n {
		k := newKnownRun(uint64(100+i), start.Add(time.Duration(i)*time.Millisecond), 400, 4, 25)
		k.rep.Shard = &report.Shard{Index: i, Count: n, RunID: id, Scenario: "production", StartAt: start, Lateness: time.Duration(i) * time.Millisecond}
		out[i] = k.rep
	}
	return out
}

var _ = Describe("Merge of shards", func() {
	start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)

	It("merges every shard of one run, read back from their directories, and keeps each shard's delivery evidence", func() {
		shards := shardRuns("r1", 3, start)
		var read []*report.Report
		for _, i := range []int{2, 0, 1} { // any order
			dir := GinkgoT().TempDir()
			Expect(report.WriteDir(dir, shards[i])).To(Succeed())
			Expect(dir + "/" + report.ShardFile).To(BeARegularFile())
			r, err := report.ReadDir(dir)
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Shard).To(Equal(shards[i].Shard))
			read = append(read, r)
		}
		m, err := report.Merge(read...)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Stages[0].Requests).To(Equal(int64(1200)))
		Expect(m.Stages[0].RequestedRate).To(Equal(75.0))
		Expect(m.Shards).To(HaveLen(3))
		for i, p := range m.Shards {
			Expect(p.Shard.Index).To(Equal(i))
			Expect(p.Stages[0].Requests).To(Equal(int64(400)))
			want, _ := shards[i].Stages[0].Distributions[report.ScheduleDelay].Percentile(99)
			d, ok := p.Stages[0].Distribution(report.ScheduleDelay)
			Expect(ok).To(BeTrue())
			Expect(d.Percentile(99)).To(Equal(want))
		}

		dir := GinkgoT().TempDir()
		Expect(report.WriteDir(dir, m)).To(Succeed())
		back, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Shard).To(BeNil())
		Expect(back.Shards).To(HaveLen(3))
		Expect(back.Shards[2].Shard).To(Equal(*shards[2].Shard))
		Expect(back.Shards[1].Stages[0].RequestedRate).To(Equal(25.0))
		d, _ := back.Shards[1].Stages[0].Distribution(report.ScheduleDelay)
		want, _ := shards[1].Stages[0].Distributions[report.ScheduleDelay].Percentile(50)
		Expect(d.Percentile(50)).To(BeNumerically("~", want, 1e-9))
	})

	It("refuses shards of different runs", func() {
		rs := shardRuns("r1", 2, start)
		rs[1].Shard.RunID = "r2"
		_, err := report.Merge(rs...)
		Expect(errors.Is(err, report.ErrNotShards)).To(BeTrue(), "%v", err)
		Expect(err).To(MatchError(ContainSubstring("report 2 is of run r2 and report 1 of run r1 (mixed runs)")))
	})

	It("refuses shards of different scenarios", func() {
		rs := shardRuns("r1", 2, start)
		rs[1].Shard.Scenario = "baseline"
		_, err := report.Merge(rs...)
		Expect(err).To(MatchError(ContainSubstring(`report 2 ran scenario "baseline" and report 1 scenario "production"`)))
	})

	It("refuses a missing shard, naming its index", func() {
		rs := shardRuns("r1", 4, start)
		_, err := report.Merge(rs[0], rs[1], rs[3])
		Expect(errors.Is(err, report.ErrNotShards)).To(BeTrue(), "%v", err)
		Expect(err).To(MatchError(ContainSubstring("run r1 has 4 shards but shard 2 is missing")))
	})

	It("merges the shards present when asked, marked partial and naming the missing ones; other refusals stand", func() {
		rs := shardRuns("r1", 4, start)
		m, err := report.MergeShardsPresent(rs[0], rs[1], rs[3])
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Stages[0].Requests).To(Equal(int64(1200)))
		Expect(m.Partial).To(BeTrue())
		Expect(m.PartialReason).To(ContainSubstring("shard 2 of 4 did not report"))
		all, err := report.MergeShardsPresent(rs...)
		Expect(err).NotTo(HaveOccurred())
		Expect(all.Partial).To(BeFalse())
		rs[1].Shard.RunID = "r2"
		_, err = report.MergeShardsPresent(rs[0], rs[1])
		Expect(err).To(MatchError(ContainSubstring("(mixed runs)")))
	})

	It("keeps the experiment the shards share, and none when they disagree", func() {
		rs := shardRuns("r1", 2, start)
		for _, r := range rs {
			r.Experiment = &report.Experiment{Model: "qwen3-8b", Scenario: "production"}
		}
		m, err := report.Merge(rs...)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Experiment).To(Equal(&report.Experiment{Model: "qwen3-8b", Scenario: "production"}))
		rs[1].Experiment = &report.Experiment{Model: "llama", Scenario: "production"}
		m, err = report.Merge(rs...)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Experiment).To(BeNil())
	})

	It("refuses a duplicated shard index", func() {
		rs := shardRuns("r1", 2, start)
		_, err := report.Merge(rs[0], rs[1], rs[1])
		Expect(err).To(MatchError(ContainSubstring("reports 2 and 3 are both shard 1 of 2 (duplicated index)")))
	})

	It("refuses a shard mixed with a report that is no shard", func() {
		rs := shardRuns("r1", 2, start)
		other := newKnownRun(9, start, 400, 4, 25).rep
		_, err := report.Merge(rs[0], other)
		Expect(err).To(MatchError(ContainSubstring("report 1 is shard 0 of 2 of run r1 but report 2 is no shard")))
	})

	It("refuses percentile-only shard reports with the reason", func() {
		rs := shardRuns("r1", 2, start)
		ip, err := report.ReadDir(realDir)
		Expect(err).NotTo(HaveOccurred())
		ip.Shard = &report.Shard{Index: 1, Count: 2, RunID: "r1", Scenario: "production"}
		_, err = report.Merge(rs[0], ip)
		Expect(errors.Is(err, report.ErrNoHistograms)).To(BeTrue(), "%v", err)
		Expect(err).To(MatchError(ContainSubstring("percentiles cannot be merged")))
	})
})

var _ = Describe("Merge of shards' rates", func() {
	It("adds the shards' own achieved rates, not the requests over the longest shard's window", func() {
		start := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
		rs := shardRuns("r1", 2, start)
		// Shard 1's independent Poisson schedule ran 10% longer by chance.
		st := &rs[1].Stages[0]
		st.SendDuration = st.SendDuration * 11 / 10
		st.AchievedRate = float64(st.Requests) / st.SendDuration.Seconds()
		m, err := report.Merge(rs...)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Stages[0].AchievedRate).To(BeNumerically("~", rs[0].Stages[0].AchievedRate+st.AchievedRate, 1e-9))
		Expect(m.Stages[0].AchievedRate).To(BeNumerically(">", float64(m.Stages[0].Requests)/st.SendDuration.Seconds()))
	})
})
