package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Goals are the bars; Print judges against them and never loosens them.
const (
	GoalLagP99At1000 = time.Millisecond
	GoalTTFTErrP99   = 500 * time.Microsecond
	GoalCapacity16   = 5000.0 // req/s
	GoalMemGrowth    = 32 << 20
)

// verdict is PASS or MISS.
func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func ms(d time.Duration) string {
	if d < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f ms", float64(d)/1e6)
}

func us(d time.Duration) string {
	if d < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f µs", float64(d)/1e3)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// rssStr prints an RSS reading; a failed reading (≤ 0) says so.
func rssStr(b int64) string {
	if b <= 0 {
		return "unreadable"
	}
	return mib(b)
}

func kib(b int64) string { return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10)) }

// Print writes the results as the bench's table.
func (r *Results) Print(w io.Writer) {
	where := "separate process (tailgate mock-vllm): CPU and RSS are the client's alone"
	if r.Target.Nice != 0 {
		where = fmt.Sprintf("separate process (tailgate mock-vllm at nice %d, yielding the shared cores to the generator): CPU and RSS are the client's alone", r.Target.Nice)
	}
	if r.Target.SameProcess {
		where = "same process: CPU and RSS include the server"
	}
	fmt.Fprintf(w, "tailgate bench — native engine vs simulated vLLM (fixed profile) on loopback, server in %s\n", where)
	fmt.Fprintf(w, "started %s, took %s\n\n", r.Started.UTC().Format(time.RFC3339), r.Elapsed.Round(time.Second))

	for _, p := range []struct {
		section string
		print   func(io.Writer)
	}{{SectionLag, r.printLag}, {SectionError, r.printError}, {SectionCapacity, r.printCapacity},
		{SectionMemory, r.printMemory}, {SectionNonStreaming, r.printNonStreaming}} {
		if r.ran(p.section) {
			p.print(w)
			fmt.Fprintln(w)
		}
	}
}

func (r *Results) printLag(w io.Writer) {
	fmt.Fprintln(w, "1. Schedule lag (actual − scheduled send), Poisson arrivals, 16-token streams")
	fmt.Fprintf(w, "   %-24s %12s %12s %12s %12s %12s %12s %9s %6s  %s\n", "rate", "achieved", "P50", "P99", "max", "pacer P99", "requests", "failures", "limit", "goal")
	for _, l := range r.Lag {
		goal := ""
		if strings.HasPrefix(l.Label, "1000 req/s") {
			goal = fmt.Sprintf("P99 ≤ %s: %s", ms(GoalLagP99At1000), verdict(l.Lag.P99 >= 0 && l.Lag.P99 <= GoalLagP99At1000 && l.Failures == 0))
		}
		fmt.Fprintf(w, "   %-24s %8.1f req/s %12s %12s %12s %12s %12d %9d %6d  %s\n", l.Label, l.Achieved, ms(l.Lag.P50), ms(l.Lag.P99), ms(l.Lag.Max), ms(l.Pacer.P99), l.Requests, l.Failures, l.InFlightHits, goal)
	}
	fmt.Fprintln(w, "   (pacer = how late the pacer itself woke, before handing the send to a worker; the rest of the lag is the hand-off;")
	fmt.Fprintln(w, "   limit = sends delayed by the in-flight cap; the last two rows are controls at the highest rate: evenly")
	fmt.Fprintln(w, "   spaced streams, and Poisson sends of unstreamed answers, to tell the arrival process from streaming)")
}

func (r *Results) printError(w io.Writer) {
	e := r.Error
	fmt.Fprintln(w, "2. Client measurement error vs server ground truth (|client − server|), 16-token streams")
	fmt.Fprintf(w, "   TTFT (client first token − send vs server first write − arrival): P50 %s, P99 %s, max %s, mean signed %s over %d requests (%d without a record)   goal P99 ≤ %s: %s\n",
		ms(e.TTFT.P50), ms(e.TTFT.P99), ms(e.TTFT.Max), ms(e.TTFTBias), e.Samples, e.Missing, ms(GoalTTFTErrP99), verdict(e.Samples > 0 && e.TTFT.P99 <= GoalTTFTErrP99))
	fmt.Fprintf(w, "   ITL (each inter-token gap, client vs server): P50 %s, P99 %s, max %s over %d gaps\n", ms(e.ITL.P50), ms(e.ITL.P99), ms(e.ITL.Max), e.Gaps)
}

func (r *Results) printCapacity(w io.Writer) {
	fmt.Fprintln(w, "3. Capacity: highest Poisson rate with achieved ≥ 99% of planned, P99 lag ≤ 5 ms, no failures")
	fmt.Fprintln(w, "   (planned = the seeded schedule's own rate, sends over planned span; it differs from requested by the Poisson draw alone)")
	for i, c := range r.Capacity {
		printLadder(w, c, true)
		if i == 0 {
			fmt.Fprintf(w, "   => %s: %.0f req/s   goal ≥ %.0f req/s: %s\n", c.Label, c.Max, GoalCapacity16, verdict(c.Max >= GoalCapacity16))
		} else {
			fmt.Fprintf(w, "   => %s: %.0f req/s\n", c.Label, c.Max)
		}
	}
}

func (r *Results) printMemory(w io.Writer) {
	m := r.Memory
	fmt.Fprintf(w, "4. Memory (RSS after GC, read during one run without per-request records, non-streaming at %.0f req/s requested, %.1f req/s achieved, %d failures, at most %d in flight)\n", m.Rate, m.Achieved, m.Failures, m.MaxInFlight)
	growth := m.RSS[1] - m.RSS[0]
	read := m.Reached[0] && m.Reached[1] && m.RSS[0] > 0 && m.RSS[1] > 0
	fmt.Fprintf(w, "   after %d requests: %s; after %d requests: %s; growth %s   goal < %s: %s\n",
		m.Counts[0], rssStr(m.RSS[0]), m.Counts[1], rssStr(m.RSS[1]), mib(growth), mib(GoalMemGrowth), verdict(read && m.Failures == 0 && growth < GoalMemGrowth))
	if m.Failures > 0 {
		fmt.Fprintf(w, "   NOTE: %d requests failed, so the run is not a healthy load and the goal is not met\n", m.Failures)
	}
	if m.Intervals > 0 {
		fmt.Fprintf(w, "   timeline kept: %d intervals, %s of encoded interval histograms (%s per interval, whatever the request count)\n",
			m.Intervals, mib(m.TimelineBytes), kib(m.TimelineBytes/int64(m.Intervals)))
	}
	if m.Counts[1] < 1_000_000 {
		fmt.Fprintf(w, "   NOTE: scaled down from 1,000,000 requests; the goal is judged on the scaled run only\n")
	}
}

func (r *Results) printNonStreaming(w io.Writer) {
	fmt.Fprintln(w, "5. Non-streaming endpoint, constant pacing, same body (16-token prompt, 16 output tokens)")
	printLadder(w, r.Ours, false)
	if r.SkipVegeta {
		fmt.Fprintln(w, "   vegeta: skipped")
		return
	}
	printLadder(w, r.Vegeta, false)
	for i, s := range r.Vegeta.Steps {
		if i < len(r.VegetaLat) {
			fmt.Fprintf(w, "   vegeta's own latency at %.0f req/s: P50 %s, P99 %s\n", s.Rate, ms(r.VegetaLat[i].P50), ms(r.VegetaLat[i].P99))
		}
	}
	fmt.Fprintf(w, "   => max sustained: tailgate %.0f req/s, vegeta %.0f req/s   goal tailgate ≥ vegeta: %s\n", r.Ours.Max, r.Vegeta.Max, verdict(r.Ours.Max >= r.Vegeta.Max && r.Ours.Max > 0))
}

func printLadder(w io.Writer, c Capacity, tokens bool) {
	fmt.Fprintf(w, "   %s\n", c.Label)
	fmt.Fprintf(w, "   %12s %14s %14s %12s %12s %12s %9s %16s", "requested", "planned", "achieved", "lag P50", "lag P99", "lag max", "failures", "CPU/request")
	if tokens {
		fmt.Fprintf(w, " %16s", "CPU/token")
	}
	fmt.Fprintln(w, "  pass")
	for _, s := range c.Steps {
		per := time.Duration(-1)
		if s.Requests > 0 {
			per = s.CPU / time.Duration(s.Requests)
		}
		fmt.Fprintf(w, "   %6.0f req/s %8.1f req/s %8.1f req/s %12s %12s %12s %9d %16s", s.Rate, s.Drawn, s.Achieved, ms(s.Lag.P50), ms(s.Lag.P99), ms(s.Lag.Max), s.Failures, us(per))
		if tokens {
			pt := time.Duration(-1)
			if s.Tokens > 0 {
				pt = time.Duration(float64(s.CPU) / float64(s.Tokens))
			}
			fmt.Fprintf(w, " %16s", fmt.Sprintf("%.2f µs", float64(pt)/1e3))
		}
		fmt.Fprintf(w, "  %s\n", verdict(s.OK))
	}
}

// PrintShards prints the shard comparison: one row per generator count,
// each figure the median of the repetitions with their range.
func PrintShards(w io.Writer, rate float64, rows []ShardRow) {
	fmt.Fprintf(w, "Shards: %g req/s of 30-token streams in all, inference-perf's constant timer (exponential gaps), sent by N `tailgate run` processes from one start time, merged\n", rate)
	fmt.Fprintln(w, "(each figure: median of the repetitions [min – max]; lag and TTFT from the merged histograms; worst shard: the highest P99 lag of one generator)")
	fmt.Fprintf(w, "  %-3s %-28s %-30s %-30s %-30s %-30s %-30s %s\n", "N", "achieved req/s", "lag p50", "lag p99", "worst shard lag p99", "TTFT p50", "TTFT p99", "CPU per request")
	for _, r := range rows {
		m, lo, hi := r.Median, r.Lo, r.Hi
		rng := func(a, b, c time.Duration) string { return fmt.Sprintf("%s [%s – %s]", ms(a), ms(b), ms(c)) }
		fmt.Fprintf(w, "  %-3d %-28s %-30s %-30s %-30s %-30s %-30s %s\n", r.Shards,
			fmt.Sprintf("%.1f [%.1f – %.1f]", m.Achieved, lo.Achieved, hi.Achieved),
			rng(m.Lag.P50, lo.Lag.P50, hi.Lag.P50), rng(m.Lag.P99, lo.Lag.P99, hi.Lag.P99),
			rng(m.WorstLagP99, lo.WorstLagP99, hi.WorstLagP99),
			rng(m.TTFT.P50, lo.TTFT.P50, hi.TTFT.P50), rng(m.TTFT.P99, lo.TTFT.P99, hi.TTFT.P99),
			fmt.Sprintf("%s [%s – %s]", us(m.CPUPerRequest), us(lo.CPUPerRequest), us(hi.CPUPerRequest)))
		if m.Failures > 0 {
			fmt.Fprintf(w, "      up to %d failed requests in one run\n", m.Failures)
		}
	}
}

// PrintStreamCost prints the CPU cost of production-shaped streams.
func PrintStreamCost(w io.Writer, costs []StreamCost) {
	fmt.Fprintln(w, "Production-shaped streams (synthetic prompts, input mean 1,024 tokens, output mean 512, Poisson), generator CPU only:")
	for _, c := range costs {
		perTok := time.Duration(-1)
		if c.OutputTokens > 0 {
			perTok = c.CPU / time.Duration(c.OutputTokens)
		}
		fmt.Fprintf(w, "  %g req/s: achieved %.1f, %d requests, %d output tokens, CPU %s = %s per request (%s per output token), lag p50 %s p99 %s\n",
			c.Rate, c.Achieved, c.Requests, c.OutputTokens, c.CPU.Round(time.Millisecond), us(c.PerRequest()), us(perTok), ms(c.Lag.P50), ms(c.Lag.P99))
	}
}
