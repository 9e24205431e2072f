package loadgen

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// intervals records one stage interval by interval: a histogram per
// timeline metric and the counters of the report's timeline. At each
// interval's end the histograms are encoded (a few hundred bytes each) and
// reset, so memory grows with the number of intervals, never with requests.
// A request counts in the interval during which it was recorded.
type intervals struct {
	every    time.Duration
	clk      clock
	origin   time.Duration // stage start on the run clock
	sent     *atomic.Int64 // the stage's sends so far
	inFlight *atomic.Int64 // the engine's requests in flight

	mu         sync.Mutex
	cur, spare *intervalSet
	lastSent   int64
	lastEnd    time.Duration // end of the last closed interval, from origin
	out        []report.Interval

	stop, done chan struct{}
	closeOnce  sync.Once
}

// intervalSet is what one open interval has recorded so far.
type intervalSet struct {
	hist                            map[report.Metric]*report.Histogram
	completed, failed, outputTokens int64
	byLabel                         map[string]int64
}

func newIntervalSet() *intervalSet {
	return &intervalSet{hist: newHistograms()}
}

// startIntervals begins recording st interval by interval (every
// Options.TimelineInterval, 1 s when unset) from the stage's first scheduled
// send (after the lead-in); st.iv.finish returns the timeline.
func (e *engine) startIntervals(st *stageRun) {
	every := e.o.TimelineInterval
	if every <= 0 {
		every = report.DefaultInterval
	}
	iv := &intervals{
		every: every, clk: e.clk, origin: st.origin + e.o.LeadIn, sent: &st.sent, inFlight: &e.inFlight,
		cur: newIntervalSet(), spare: newIntervalSet(),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	st.iv = iv
	go iv.tick()
}

// tick closes an interval at every boundary until stopped.
func (iv *intervals) tick() {
	defer close(iv.done)
	t := time.NewTimer(max(0, iv.origin+iv.every-iv.clk.now()))
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-iv.stop:
			return
		case <-t.C:
		}
		iv.roll(time.Duration(n) * iv.every)
		t.Reset(max(0, iv.origin+time.Duration(n+1)*iv.every-iv.clk.now()))
	}
}

// record adds one finished request, with its metrics ms, to the open interval.
func (iv *intervals) record(o *outcome, ms measurement) {
	if iv == nil {
		return
	}
	iv.mu.Lock()
	defer iv.mu.Unlock()
	s := iv.cur
	s.completed++
	ms.recordInto(s.hist)
	if o.label != "" {
		s.failed++
		if s.byLabel == nil {
			s.byLabel = map[string]int64{}
		}
		s.byLabel[o.label]++
		return
	}
	_, out := o.tokens()
	s.outputTokens += out
}

// tokens returns the prompt and output token counts of a success as the
// recorder counts them: server usage when sent, else the client's counts.
func (o *outcome) tokens() (prompt, out int64) {
	prompt, out = int64(o.inputLen), int64(o.chunks)
	if o.usage {
		out = o.completion
		if o.prompt > 0 {
			prompt = o.prompt
		}
	}
	return prompt, out
}

// roll closes the open interval at end (an offset from the stage start) and opens the next.
func (iv *intervals) roll(end time.Duration) {
	iv.mu.Lock()
	closed := iv.cur
	iv.cur, iv.spare = iv.spare, nil
	sent := iv.sent.Load()
	r := report.Interval{
		Start: iv.lastEnd, Length: end - iv.lastEnd,
		Sent: sent - iv.lastSent, Completed: closed.completed, Failed: closed.failed,
		FailuresByLabel: closed.byLabel, InFlight: iv.inFlight.Load(), OutputTokens: closed.outputTokens,
	}
	iv.lastSent, iv.lastEnd = sent, end
	iv.mu.Unlock()

	// Encoding happens outside the lock, while workers record into the next
	// interval. It cannot fail on a histogram this package made; if it did, the
	// interval would lack that histogram and writing the log would say so.
	// Each encoding takes about half a millisecond of CPU; yielding between
	// them keeps the pacer and the token readers from waiting for all of them.
	for m, h := range closed.hist {
		_ = r.SetHistogram(m, h)
		h.Reset()
		runtime.Gosched()
	}
	closed.completed, closed.failed, closed.outputTokens, closed.byLabel = 0, 0, 0, nil

	iv.mu.Lock()
	iv.spare = closed
	iv.out = append(iv.out, r)
	iv.mu.Unlock()
}

// close stops the ticks and closes the last interval; call it once every
// request of the stage has been recorded. Later calls do nothing.
func (iv *intervals) close() {
	if iv == nil {
		return
	}
	iv.closeOnce.Do(func() {
		close(iv.stop)
		<-iv.done
		if end := iv.clk.now() - iv.origin; end > iv.lastEnd || len(iv.out) == 0 {
			iv.roll(end)
		}
	})
}

// finish closes the recording (if not yet) and returns the stage's timeline.
func (iv *intervals) finish() *report.Timeline {
	if iv == nil {
		return nil
	}
	iv.close()
	start := iv.clk.base.Add(iv.origin)
	t := &report.Timeline{Start: start.Truncate(time.Millisecond), Interval: iv.every, Intervals: iv.out}
	// Interval offsets are kept to the millisecond, as the log files hold them.
	for i := range t.Intervals {
		s := t.Intervals[i].Start.Round(time.Millisecond)
		e := (t.Intervals[i].Start + t.Intervals[i].Length).Round(time.Millisecond)
		t.Intervals[i].Start, t.Intervals[i].Length = s, max(e-s, 0)
	}
	return t
}
