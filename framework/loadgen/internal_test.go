package loadgen

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("schedules", func() {
	It("plans int(rate·duration) constant sends whose gaps sum to exactly the duration", func() {
		a := newConstantArrivals(7, int(2.5*10), 10)
		var last time.Duration
		n := 0
		for {
			at, ok := a.next()
			if !ok {
				break
			}
			Expect(at).To(BeNumerically(">=", last))
			last = at
			n++
		}
		Expect(n).To(Equal(25))
		Expect(last).To(BeNumerically("~", 10*time.Second, time.Microsecond))
	})

	It("is reproducible from its seed", func() {
		a, b := newConstantArrivals(3, 50, 5), newConstantArrivals(3, 50, 5)
		for range 50 {
			x, _ := a.next()
			y, _ := b.next()
			Expect(x).To(Equal(y))
		}
	})

	It("places poisson sends in 1-second windows, the last of each at the window's end, cut at n", func() {
		p := newPoissonArrivals(11, 300, 20)
		perWindow := map[int]int{}
		var times []time.Duration
		for {
			at, ok := p.next()
			if !ok {
				break
			}
			times = append(times, at)
			perWindow[int(math.Ceil(at.Seconds()-1e-9))-1]++
		}
		Expect(times).To(HaveLen(300))
		for i := 1; i < len(times); i++ {
			Expect(times[i]).To(BeNumerically(">=", times[i-1]))
		}
		// Every full window ends with a send exactly on the second.
		onSecond := 0
		for _, t := range times {
			if t%time.Second == 0 {
				onSecond++
			}
		}
		Expect(onSecond).To(BeNumerically(">=", len(perWindow)-1))
		// Counts per window vary like Poisson(20): variance near the mean.
		var sum, sq float64
		full := 0
		for w, c := range perWindow {
			if w == len(perWindow)-1 {
				continue // the cut window
			}
			sum += float64(c)
			sq += float64(c * c)
			full++
		}
		mean := sum / float64(full)
		Expect(mean).To(BeNumerically("~", 20, 3))
		Expect(sq/float64(full) - mean*mean).To(BeNumerically(">", 5))
	})

	It("samples Poisson counts with the right mean for small and large rates", func() {
		rng := rand.New(rand.NewPCG(1, 1))
		for _, lam := range []float64{0.5, 4, 15, 400} {
			sum := 0
			for range 20000 {
				sum += poisson(rng, lam)
			}
			Expect(float64(sum)/20000).To(BeNumerically("~", lam, 0.05*lam+0.05), "lambda %g", lam)
		}
	})

	It("spaces uniform sends evenly", func() {
		u := &uniformArrivals{n: 4, gap: 0.25}
		var got []time.Duration
		for {
			at, ok := u.next()
			if !ok {
				break
			}
			got = append(got, at)
		}
		Expect(got).To(Equal([]time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond, time.Second}))
	})
})

var _ = Describe("lengths", func() {
	It("clamps a normal distribution to [min, max] and rounds half to even", func() {
		l := Lengths{Kind: LengthNormal, Min: 128, Max: 4096, Mean: 1024, StdDev: 512}
		rng := rand.New(rand.NewPCG(5, 5))
		atMin, sum := 0, 0
		for range 20000 {
			v := l.Sample(rng)
			Expect(v).To(BeNumerically(">=", 128))
			Expect(v).To(BeNumerically("<=", 4096))
			if v == 128 {
				atMin++
			}
			sum += v
		}
		// P(N(1024,512) < 128) ≈ 4%: the clamped mass piles up at min.
		Expect(float64(atMin) / 20000).To(BeNumerically("~", 0.04, 0.01))
		Expect(float64(sum) / 20000).To(BeNumerically("~", 1040, 15))
		Expect(Lengths{Kind: LengthNormal, Min: 0, Max: 10, Mean: 2.5}.Sample(rng)).To(Equal(2))
		Expect(Lengths{Kind: LengthNormal, Min: 0, Max: 10, Mean: 3.5}.Sample(rng)).To(Equal(4))
		Expect(Lengths{Kind: LengthFixed, Min: 0, Max: 10, Mean: 7.9}.Sample(rng)).To(Equal(7))
	})

	It("names the field of an impossible distribution", func() {
		Expect(Lengths{Kind: LengthNormal, Min: 10, Max: 5, Mean: 7}.Validate()).To(MatchError(ContainSubstring("min (10) > max (5)")))
		Expect(Lengths{Kind: "skew_normal", Max: 5}.Validate()).To(MatchError(ContainSubstring("not supported")))
	})
})

var _ = Describe("chunk parsing", func() {
	var c chunk
	completion := contentKeys{field: "text"}
	chat := contentKeys{field: "delta", chat: true}

	It("reads completion text, chat deltas and usage from vLLM-shaped chunks", func() {
		Expect(parseChunk([]byte(`{"id":"x","object":"text_completion","choices":[{"index":0,"text":" the","logprobs":null,"finish_reason":null}],"usage":null}`), completion, &c)).To(Succeed())
		Expect(c.content).To(BeTrue())
		Expect(c.usage).To(BeFalse())
		Expect(parseChunk([]byte(`{"choices":[],"usage":{"prompt_tokens":1024,"total_tokens":1536,"completion_tokens":512}}`), completion, &c)).To(Succeed())
		Expect(c.content).To(BeFalse())
		Expect([]any{c.usage, c.prompt, c.completion}).To(Equal([]any{true, int64(1024), int64(512)}))
		Expect(parseChunk([]byte(`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`), chat, &c)).To(Succeed())
		Expect(c.content).To(BeFalse())
		Expect(parseChunk([]byte(`{"choices":[{"index":0,"delta":{"content":"Hi \"there\""}}]}`), chat, &c)).To(Succeed())
		Expect(c.content).To(BeTrue())
		Expect(parseChunk([]byte(`{"choices":[{"index":0,"delta":{"reasoning_content":"hmm","content":null}}]}`), chat, &c)).To(Succeed())
		Expect(c.content).To(BeTrue())
	})

	It("recognises an error object in a stream", func() {
		Expect(parseChunk([]byte(`{"error":{"message":"boom","type":"InternalServerError","code":500}}`), completion, &c)).To(Succeed())
		Expect(c.isError).To(BeTrue())
		Expect(string(c.errMsg)).To(Equal("boom"))
		Expect(c.errCode).To(BeEquivalentTo(500))
	})

	It("rejects malformed JSON", func() {
		for _, bad := range []string{`{"choices":[{"text":"a"}]`, `not json`, `{"a" 1}`, `{"choices":[{"text":"a"}]} trailing`} {
			Expect(parseChunk([]byte(bad), completion, &c)).To(HaveOccurred(), bad)
		}
	})

	It("escapes prompts as JSON strings", func() {
		t := newBodyTemplate("m\"x", false, true, true)
		b := t.render(nil, "a\"b\\c\nd\x01é\xff", 7)
		Expect(string(b)).To(Equal(`{"model":"m\"x","prompt":"a\"b\\c\nd\u0001é\ufffd","max_tokens":7,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}`))
	})
})

var _ = Describe("sweep stages", func() {
	It("spaces rates like numpy's linspace and geomspace, rounded to 0.01", func() {
		lin := sweepStages(10, &Sweep{Type: "linear", NumStages: 4, StageDuration: time.Second})
		Expect(lin).To(HaveLen(4))
		Expect([]float64{lin[0].Rate, lin[1].Rate, lin[2].Rate, lin[3].Rate}).To(Equal([]float64{1, 4, 7, 10}))
		geo := sweepStages(100, &Sweep{Type: "geometric", NumStages: 3, StageDuration: time.Second})
		// geomspace(100, 1, 3) = [100, 10, 1] -> 1 + 100 - x = [1, 91, 100]
		Expect([]float64{geo[0].Rate, geo[1].Rate, geo[2].Rate}).To(Equal([]float64{1, 91, 100}))
	})

	It("interpolates percentiles linearly like numpy", func() {
		Expect(percentileLinear([]float64{4, 1, 3, 2}, 50)).To(Equal(2.5))
		Expect(percentileLinear([]float64{1, 2, 3, 4, 5}, 95)).To(BeNumerically("~", 4.8, 1e-9))
	})
})

var _ = Describe("the recorder", func() {
	It("records no normalized time per output token for a success without output tokens", func() {
		r := newRecorder(&Options{MaxErrorMessages: 10})
		r.record(&outcome{start: time.Second, end: 2 * time.Second, maxTokens: 30, usage: true, prompt: 5, completion: 0})
		r.record(&outcome{start: time.Second, end: 3 * time.Second, maxTokens: 30, usage: true, prompt: 5, completion: 4, chunks: 1})
		st := r.stage(0)
		Expect(st.Successes).To(BeEquivalentTo(2))
		d, ok := st.Distribution(report.NTPOT)
		Expect(ok).To(BeTrue())
		Expect(d.Count()).To(BeEquivalentTo(1), "0 s per token is not a measurement")
		Expect(d.Min()).To(BeNumerically("~", 0.5, 1e-6))
	})
})

var _ = Describe("the pacer's waiter", func() {
	It("spins over the last stretch only while spinning stays within its share of one core", func() {
		w := newWaiter(clock{base: time.Now()})
		ctx := context.Background()
		time.Sleep(20 * time.Millisecond)
		w.spun = time.Duration(spinShare*float64(w.c.now()-w.born)) + time.Millisecond // over budget
		before := w.spun
		at := w.c.now() + 50*time.Microsecond
		Expect(w.until(ctx, at)).To(Succeed())
		Expect(w.c.now()).To(BeNumerically(">=", at))
		Expect(w.spun).To(Equal(before), "spun over budget")

		w.spun = 0
		at = w.c.now() + 50*time.Microsecond
		Expect(w.until(ctx, at)).To(Succeed())
		Expect(w.c.now()).To(BeNumerically(">=", at))
		Expect(w.spun).To(BeNumerically(">", 0), "did not spin within budget")
	})

	It("waits on the runtime's timer alone once sends come closer than busyGap, never early", func() {
		w := newWaiter(clock{base: time.Now()})
		ctx := context.Background()
		next := w.c.now()
		for range 300 {
			next += 100 * time.Microsecond
			Expect(w.until(ctx, next)).To(Succeed())
			Expect(w.c.now()).To(BeNumerically(">=", next))
		}
		Expect(w.gap).To(BeNumerically("<", busyGap))
		spun := w.spun
		for range 50 {
			next += 100 * time.Microsecond
			Expect(w.until(ctx, next)).To(Succeed())
			Expect(w.c.now()).To(BeNumerically(">=", next))
		}
		Expect(w.spun).To(Equal(spun), "a busy waiter spun")
	})

	It("returns the context's error when cancelled during a long wait", func() {
		w := newWaiter(clock{base: time.Now()})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		Expect(w.until(ctx, w.c.now()+time.Hour)).To(MatchError(context.Canceled))
	})
})
