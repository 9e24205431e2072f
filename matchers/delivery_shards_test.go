package matchers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
	. "github.com/tailgate-dev/tailgate/matchers"
)

// shardOf is shard i of n of one run: a delivered stage of 1000 requests
// whose schedule delay is 0.2 ms, except `late` sends of 500 ms.
func shardOf(i, n, late int) *report.Report {
	st := histStage(report.TTFT, uniformSamples(1000, uint64(i+1)))
	st.RequestedRate, st.AchievedRate, st.SendDuration = 10, 10, 100*time.Second
	lag := report.NewHistogram()
	for k := range 1000 {
		if k < late {
			lag.Record(0.5)
		} else {
			lag.Record(0.0002)
		}
	}
	st.Distributions[report.ScheduleDelay] = lag
	sum := st
	sum.ID = -1
	return &report.Report{Stages: []report.Stage{st}, Summary: sum,
		Shard: &report.Shard{Index: i, Count: n, RunID: "r1", Scenario: "production"}}
}

var _ = Describe("delivery of sharded runs", func() {
	It("fails a merge of shards when one shard fell behind, naming it, although the merged lag looks delivered", func() {
		rs := []*report.Report{shardOf(0, 4, 0), shardOf(1, 4, 0), shardOf(2, 4, 30), shardOf(3, 4, 0)}
		m, err := report.Merge(rs...)
		Expect(err).NotTo(HaveOccurred())
		merged, _ := m.Stages[0].Distribution(report.ScheduleDelay)
		Expect(merged.Percentile(99)).To(BeNumerically("<", 0.1), "30 late sends of 4000 hide below the merged P99")

		matcher := HaveDeliveredLoad()
		Expect(matcher.Match(m)).To(BeFalse())
		Expect(matcher.FailureMessage(m)).To(ContainSubstring("shard 2 of 4, stage 0: schedule delay p99 = "))
		Expect(matcher.FailureMessage(m)).NotTo(ContainSubstring("shard 1 of 4"))

		rs[2] = shardOf(2, 4, 0)
		m, err = report.Merge(rs...)
		Expect(err).NotTo(HaveOccurred())
		Expect(m).To(HaveDeliveredLoad())
	})

	It("fails a shard that started after the shared start time by more than the lag bound", func() {
		r := shardOf(1, 2, 0)
		r.Shard.StartAt = time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
		r.Shard.Lateness = 2 * time.Second
		matcher := HaveDeliveredLoad()
		Expect(matcher.Match(r)).To(BeFalse())
		Expect(matcher.FailureMessage(r)).To(ContainSubstring("shard 1 of 2 started 2s after the shared start time 15:00:00.000Z"))
		r.Shard.Lateness = 0
		Expect(r).To(HaveDeliveredLoad())
	})
})
