package loadgen_test

import (
	"slices"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("sharded runs", func() {
	It("send, over four shards, exactly the unsharded run's requests at its scheduled instants, each once", func(ctx SpecContext) {
		prof := mockvllm.FixedProfile(5*time.Millisecond, 2*time.Millisecond)
		sim := startSim(ctx, mockvllm.Options{CustomProfile: &prof, Seed: 1})
		base := mockOptions(sim.URL())
		base.Stages = []loadgen.Stage{{Rate: 30, Duration: 2 * time.Second}}
		base.PerRequest = true

		start := time.Now().Add(500 * time.Millisecond)
		results := make([]*loadgen.Result, 4)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				defer GinkgoRecover()
				o := base
				o.Shard, o.StartAt, o.RunID = loadgen.Shard{Index: i, Count: 4}, start, "run-a"
				res, err := loadgen.Run(ctx, o)
				Expect(err).NotTo(HaveOccurred())
				results[i] = res
			})
		}
		wg.Wait()
		whole := base
		whole.StartAt = time.Now().Add(200 * time.Millisecond)
		one, err := loadgen.Run(ctx, whole)
		Expect(err).NotTo(HaveOccurred())
		Expect(one.Requests).To(HaveLen(60))

		want := map[int]time.Duration{}
		for _, r := range one.Requests {
			want[r.Index] = r.Scheduled
		}
		got := map[int]time.Duration{}
		var rate float64
		for i, res := range results {
			sh := res.Report.Shard
			Expect(sh).NotTo(BeNil())
			Expect([]any{sh.Index, sh.Count, sh.RunID}).To(Equal([]any{i, 4, "run-a"}))
			Expect(sh.StartAt).To(Equal(start))
			Expect(sh.Lateness).To(BeZero(), "the shard was ready before the start time")
			for _, r := range res.Requests {
				Expect(r.Index%4).To(Equal(i), "shard %d sent request %d", i, r.Index)
				Expect(got).NotTo(HaveKey(r.Index), "request %d sent twice", r.Index)
				got[r.Index] = r.Scheduled
				Expect(r.ID).To(HaveSuffix("-0-%d", r.Index))
			}
			rate += res.Report.Stages[0].RequestedRate
			Expect(res.Report.Stages[0].Timeline.Start).To(BeTemporally("~", start.Add(base.LeadIn), time.Millisecond))
		}
		Expect(got).To(Equal(want), "the shards' schedule is the unsharded schedule")
		Expect(rate).To(BeNumerically("~", 30, 1e-9))
	})

	It("records how late a shard started and still sends its share on the shared schedule", func(ctx SpecContext) {
		sim := startSim(ctx, mockvllm.Options{Seed: 1})
		o := mockOptions(sim.URL())
		o.Stages = []loadgen.Stage{{Rate: 20, Duration: time.Second}}
		o.Shard, o.StartAt, o.PerRequest = loadgen.Shard{Index: 1, Count: 2}, time.Now().Add(-700*time.Millisecond), true
		res, err := loadgen.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Report.Shard.Lateness).To(BeNumerically(">=", 700*time.Millisecond))
		Expect(res.Requests).To(HaveLen(10))
		first := slices.MinFunc(res.Requests, func(a, b loadgen.RequestRecord) int { return int(a.Scheduled - b.Scheduled) })
		// The first send was due 200 ms (lead-in) plus its offset after the
		// start time, which had passed 700 ms before: about 0.4 s overdue.
		Expect(first.Start-first.Scheduled).To(BeNumerically(">", 300*time.Millisecond), "overdue sends go out late and count as schedule lag")
		Expect(pct(res.Report.Stages[0], report.ScheduleDelay, 100)).To(BeNumerically(">", 300*time.Millisecond))
	})

	It("starts every stage at its planned instant from the start time, whatever the previous stage's drain took", func(ctx SpecContext) {
		prof := mockvllm.FixedProfile(700*time.Millisecond, time.Millisecond)
		sim := startSim(ctx, mockvllm.Options{CustomProfile: &prof, Seed: 1})
		o := mockOptions(sim.URL())
		o.Stages = []loadgen.Stage{{Rate: 10, Duration: time.Second}, {Rate: 10, Duration: time.Second}}
		o.Interval = 300 * time.Millisecond
		o.StartAt = time.Now().Add(100 * time.Millisecond)
		res, err := loadgen.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Report.Shard).To(BeNil(), "a start time alone is no shard")
		planned := o.StartAt.Add(o.LeadIn + time.Second + o.Interval + o.LeadIn)
		Expect(res.Report.Stages[1].Timeline.Start).To(BeTemporally("~", planned, time.Millisecond),
			"stage 1 starts at its planned instant although stage 0's last answer came 700 ms after its last send")
	})

	It("split a concurrency stage's level and request count, the remainder to the lowest index", func(ctx SpecContext) {
		prof := mockvllm.FixedProfile(20*time.Millisecond, time.Millisecond)
		sim := startSim(ctx, mockvllm.Options{CustomProfile: &prof, Seed: 1})
		for i, want := range []struct{ level, requests int }{{2, 6}, {1, 5}} {
			o := mockOptions(sim.URL())
			o.Load = loadgen.LoadConcurrent
			o.Stages = []loadgen.Stage{{NumRequests: 11, ConcurrencyLevel: 3}}
			o.Shard, o.StartAt = loadgen.Shard{Index: i, Count: 2}, time.Now()
			res, err := loadgen.Run(ctx, o)
			Expect(err).NotTo(HaveOccurred())
			st := res.Report.Stages[0]
			Expect(st.Concurrency).To(Equal(want.level), "shard %d", i)
			Expect(st.Generator.InFlightLimit).To(Equal(want.level))
			Expect(st.Generator.MaxInFlight).To(BeNumerically("<=", want.level))
			Expect(st.Requests).To(Equal(int64(want.requests)))
		}
	})

	It("refuses a sharded sweep before any load", func(ctx SpecContext) {
		o := mockOptions("http://127.0.0.1:1")
		o.Sweep = &loadgen.Sweep{Type: "linear", NumRequests: 10, Timeout: time.Second, NumStages: 2, StageDuration: time.Second, SaturationPercentile: 95}
		o.Shard, o.StartAt = loadgen.Shard{Index: 0, Count: 2}, time.Now()
		_, err := loadgen.Run(ctx, o)
		Expect(err).To(MatchError(ContainSubstring("load.sweep cannot be sharded")))
	})
})
