package bench

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/loadgen"
)

var _ = Describe("percentiles", func() {
	It("takes nearest-rank P50, P99 and the max", func() {
		v := make([]time.Duration, 0, 100)
		for i := 100; i >= 1; i-- {
			v = append(v, time.Duration(i)*time.Millisecond)
		}
		Expect(percentiles(v)).To(Equal(Pct{P50: 50 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}))
	})
	It("says n/a (negative) for no samples, which no goal accepts", func() {
		p := percentiles(nil)
		Expect(p.P99).To(BeNumerically("<", 0))
		Expect(Passes(100, 100, p.P99, 0)).To(BeFalse())
	})
})

var _ = Describe("Passes", func() {
	It("holds the capacity bar exactly", func() {
		Expect(Passes(1000, 990, 5*time.Millisecond, 0)).To(BeTrue())
		Expect(Passes(1000, 989.9, time.Millisecond, 0)).To(BeFalse())
		Expect(Passes(1000, 1000, 5*time.Millisecond+time.Nanosecond, 0)).To(BeFalse())
		Expect(Passes(1000, 1000, time.Millisecond, 1)).To(BeFalse())
		Expect(Passes(0, 1000, time.Millisecond, 0)).To(BeFalse())
	})
})

var _ = Describe("ladder", func() {
	rates := []float64{1000, 2000, 3000, 4000, 5000}
	It("stops at the first miss after a pass and keeps the highest pass", func() {
		var tried []float64
		c, err := ladder(context.Background(), rates, func(r float64) (Step, error) {
			tried = append(tried, r)
			return Step{Rate: r, OK: r <= 3000}, nil
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(tried).To(Equal([]float64{1000, 2000, 3000, 4000}))
		Expect(c.Max).To(Equal(3000.0))
		Expect(c.Steps).To(HaveLen(4))
	})
	It("gives up after two misses with no pass, reporting zero", func() {
		c, err := ladder(context.Background(), rates, func(r float64) (Step, error) { return Step{Rate: r}, nil })
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Steps).To(HaveLen(2))
		Expect(c.Max).To(BeZero())
	})
	It("returns a probe's error with the steps done so far", func() {
		boom := errors.New("boom")
		c, err := ladder(context.Background(), rates, func(r float64) (Step, error) {
			if r == 2000 {
				return Step{}, boom
			}
			return Step{Rate: r, OK: true}, nil
		})
		Expect(err).To(MatchError(boom))
		Expect(c.Steps).To(HaveLen(1))
	})
})

var _ = Describe("schedule arithmetic", func() {
	It("measures vegeta's lag from its pacer's (k+1)·interval plan", func() {
		t0 := time.Now()
		Expect(vegetaLag(t0, t0.Add(time.Millisecond), 0, 1000)).To(Equal(time.Duration(0)))
		Expect(vegetaLag(t0, t0.Add(12*time.Millisecond), 9, 1000)).To(Equal(2 * time.Millisecond))
		Expect(vegetaLag(t0, t0.Add(3*time.Millisecond), 0, 3)).To(Equal(3*time.Millisecond - time.Second/3))
	})
	It("takes the planned rate from the records' scheduled times", func() {
		recs := make([]loadgen.RequestRecord, 10)
		for i := range recs {
			recs[i].Scheduled = time.Duration(i) * 10 * time.Millisecond
		}
		Expect(drawnRate(recs)).To(BeNumerically("~", 10/0.09, 1e-9))
		Expect(drawnRate(recs[:1])).To(BeZero())
	})
	It("compares client and server TTFT, and each inter-token gap", func() {
		t0 := time.Now()
		s := time.Second
		rc := loadgen.RequestRecord{Start: s, FirstToken: s + 12*time.Millisecond, LastToken: s + 15*time.Millisecond, Chunks: 3,
			ChunkTimes: []time.Duration{s + 12*time.Millisecond, s + 13*time.Millisecond, s + 15*time.Millisecond}}
		tr := mockvllm.RequestTruth{Arrival: t0, FirstTokenWritten: t0.Add(11 * time.Millisecond),
			LastTokenWritten: t0.Add(14 * time.Millisecond), OutputTokens: 3,
			TokenWrites: []time.Time{t0.Add(11 * time.Millisecond), t0.Add(12500 * time.Microsecond), t0.Add(14 * time.Millisecond)}}
		Expect(ttftError(rc, tr)).To(Equal(time.Millisecond))
		Expect(gapErrors(rc, tr)).To(Equal([]time.Duration{-500 * time.Microsecond, 500 * time.Microsecond}))
		tr.TokenWrites = tr.TokenWrites[:2]
		Expect(gapErrors(rc, tr)).To(BeEmpty(), "chunks that do not pair with token writes are not compared")
	})
	It("sends vegeta the body the engine renders for a 16-token prompt", func() {
		var body map[string]any
		Expect(json.Unmarshal(vegetaBody("qwen3-8b"), &body)).To(Succeed())
		Expect(body).To(HaveKeyWithValue("model", "qwen3-8b"))
		Expect(body).To(HaveKeyWithValue("max_tokens", 16.0))
		Expect(body).To(HaveKeyWithValue("stream", false))
		Expect(body).To(HaveKeyWithValue("ignore_eos", true))
		Expect(strings.Count(body["prompt"].(string), "tok ")).To(Equal(16))
	})
})

var _ = Describe("Config", func() {
	It("names a missing target", func() {
		Expect(Config{}.Validate()).To(MatchError(ContainSubstring("Target.URL")))
	})
	It("refuses memory counts out of order", func() {
		c := Config{Target: Target{URL: "http://x", Truth: HTTPTruth("http://x")}, MemRequests: [2]int{10, 5}}
		Expect(c.Validate()).To(MatchError(ContainSubstring("must exceed")))
	})
})

var _ = Describe("Print", func() {
	It("judges each goal and prints units", func() {
		r := &Results{Ran: SectionNames(),
			Lag:      []LagRow{{Label: "1000 req/s", Achieved: 1000, Lag: Pct{P50: 50 * time.Microsecond, P99: 800 * time.Microsecond, Max: 2 * time.Millisecond}}},
			Error:    ErrorRow{Samples: 10, TTFT: Pct{P50: 100 * time.Microsecond, P99: 600 * time.Microsecond, Max: time.Millisecond}},
			Capacity: []Capacity{{Label: "16-token streams", Max: 6000}, {Label: "256-token streams", Max: 1000}},
			Memory: Memory{Counts: [2]int{100_000, 1_000_000}, RSS: [2]int64{50 << 20, 90 << 20}, Reached: [2]bool{true, true},
				Intervals: 200, TimelineBytes: 2 << 20},
			Ours: Capacity{Label: "ours", Max: 4000}, Vegeta: Capacity{Label: "vegeta", Max: 5000},
		}
		var b strings.Builder
		r.Print(&b)
		out := b.String()
		Expect(out).To(ContainSubstring("P99 ≤ 1.000 ms: PASS"))
		Expect(out).To(ContainSubstring("goal P99 ≤ 0.500 ms: MISS"))
		Expect(out).To(ContainSubstring("16-token streams: 6000 req/s   goal ≥ 5000 req/s: PASS"))
		Expect(out).To(ContainSubstring("growth 40.0 MiB   goal < 32.0 MiB: MISS"))
		r.Memory = Memory{Counts: [2]int{100_000, 1_000_000}, RSS: [2]int64{-1, -1}, Reached: [2]bool{true, true}, Failures: 3}
		b.Reset()
		r.Print(&b)
		Expect(b.String()).To(ContainSubstring("after 100000 requests: unreadable; after 1000000 requests: unreadable; growth 0.0 MiB   goal < 32.0 MiB: MISS"))
		Expect(b.String()).To(ContainSubstring("NOTE: 3 requests failed"))
		Expect(out).To(ContainSubstring("timeline kept: 200 intervals, 2.0 MiB of encoded interval histograms (10.2 KiB per interval"))
		Expect(out).To(ContainSubstring("tailgate 4000 req/s, vegeta 5000 req/s   goal tailgate ≥ vegeta: MISS"))
	})
})

var _ = Describe("against the simulated vLLM", func() {
	It("matches every request with the server's record", func(ctx SpecContext) {
		t, stop, err := StartInProcess(ctx)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(stop)
		cfg := Config{Target: t, TruthRate: 100, TruthRequests: 20}
		cfg.defaults()
		row, err := truthError(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(row.Samples).To(Equal(20))
		Expect(row.Missing).To(BeZero())
		Expect(row.Gaps).To(Equal(20*15), "every gap of every 16-token stream paired with the server's")
		// Sanity, not a goal: mixing up clocks or fields gives errors of seconds.
		Expect(row.TTFT.Max).To(BeNumerically("<", 50*time.Millisecond))
	}, SpecTimeout(30*time.Second))

	It("gives each section a fresh server when Restart is set, and stops each", func(ctx SpecContext) {
		var started, stopped int
		restart := func(ctx context.Context) (Target, func() error, error) {
			t, stop, err := StartInProcess(ctx)
			started++
			return t, func() error { stopped++; return stop() }, err
		}
		cfg := Quick(Target{}, restart)
		cfg.Sections = []string{SectionLag, SectionError}
		res, err := Run(ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Ran).To(Equal([]string{SectionLag, SectionError}))
		Expect(started).To(Equal(2))
		Expect(stopped).To(Equal(2))
		Expect(res.Target.URL).NotTo(BeEmpty(), "the header names the server the bench ran against")
		Expect(res.Error.Samples).To(BeNumerically(">", 0), "the error section matched its own server's records")
		Expect(res.Memory.Counts).To(Equal([2]int{}), "a section not asked for does not run")
	}, SpecTimeout(60*time.Second))
})
