package loadgen

import (
	"maps"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// outcome is one finished request, as the worker hands it to the recorder.
// Times are offsets on the run's monotonic clock.
type outcome struct {
	stage      int
	index      int
	id         string
	scheduled  time.Duration
	start, end time.Duration
	ended      bool          // end was stamped at [DONE], before draining
	first      time.Duration // first content chunk; valid when chunks > 0
	last       time.Duration
	chunks     int
	gaps       []time.Duration // chunk gaps of this request, in order
	inputLen   int             // sampled prompt length
	maxTokens  int
	usage      bool
	prompt     int64
	completion int64
	streamed   bool
	label      string // empty on success
	message    string
	answered   bool          // the answer was read to its end
	length     lengthVerdict // the output-length check's finding, when answered
}

// recorder aggregates outcomes of one stage into fixed-size histograms.
// It is safe for concurrent use by every worker.
type recorder struct {
	hist map[report.Metric]*report.Histogram // fixed key set, read-only after creation

	requests, successes, failures atomic.Int64
	promptTotal, outputTotal      atomic.Int64
	mismatches                    atomic.Int64
	length                        lengthTally
	exactLength                   bool // ignore_eos: answers must carry exactly max_tokens
	minStart, maxStart, maxEnd    minMax
	okMinStart, okMaxEnd          minMax

	mu          sync.Mutex
	byLabel     map[string]*labelAgg
	maxMessages int
	goodput     map[report.Metric]float64
	good        int64
	goodTokens  int64
	attained    map[report.Metric]int64
	perRequest  bool
	chunkTimes  bool
	records     []RequestRecord
}

type labelAgg struct {
	count    int64
	messages []string
}

// minMax tracks the smallest and largest offset seen, lock-free.
type minMax struct{ lo, hi atomic.Int64 }

func (m *minMax) reset() {
	m.lo.Store(math.MaxInt64)
	m.hi.Store(math.MinInt64)
}

func (m *minMax) add(v time.Duration) {
	x := int64(v)
	for {
		cur := m.lo.Load()
		if x >= cur || m.lo.CompareAndSwap(cur, x) {
			break
		}
	}
	for {
		cur := m.hi.Load()
		if x <= cur || m.hi.CompareAndSwap(cur, x) {
			break
		}
	}
}

func (m *minMax) span() time.Duration {
	lo, hi := m.lo.Load(), m.hi.Load()
	if lo == math.MaxInt64 || hi < lo {
		return 0
	}
	return time.Duration(hi - lo)
}

func newRecorder(o *Options) *recorder {
	r := &recorder{
		hist:        newHistograms(),
		byLabel:     map[string]*labelAgg{},
		maxMessages: o.MaxErrorMessages,
		goodput:     o.Goodput,
		attained:    map[report.Metric]int64{},
		perRequest:  o.PerRequest,
		chunkTimes:  o.ChunkTimes,
		exactLength: o.IgnoreEOS,
	}
	for _, m := range []*minMax{&r.minStart, &r.maxStart, &r.maxEnd, &r.okMinStart, &r.okMaxEnd} {
		m.reset()
	}
	return r
}

func secs(d time.Duration) float64 { return d.Seconds() }

// record adds one finished request.
func (r *recorder) record(o *outcome) { r.recordMeasured(o, o.measure()) }

// recordMeasured adds one finished request whose metrics ms are already
// computed (the engine computes them once for the recorder and the timeline).
func (r *recorder) recordMeasured(o *outcome, ms measurement) {
	r.requests.Add(1)
	r.minStart.add(o.start)
	r.maxStart.add(o.start)
	r.maxEnd.add(o.end)
	r.length.add(o)
	if r.perRequest {
		r.keep(o)
	}
	ms.recordInto(r.hist)
	if o.label != "" {
		r.failures.Add(1)
		r.fail(o.label, o.message)
		return
	}
	r.successes.Add(1)
	r.okMinStart.add(o.start)
	r.okMaxEnd.add(o.end)
	prompt, out := o.tokens()
	r.promptTotal.Add(prompt)
	r.outputTotal.Add(out)
	if o.streamed && o.chunks > 0 && o.usage && int64(o.chunks) != o.completion {
		r.mismatches.Add(1)
	}
	if len(r.goodput) > 0 {
		r.judge(&ms, prompt+out)
	}
}

// judge applies the goodput constraints to one success (inference-perf: a
// request is good when every constrained metric is present and within its limit).
func (r *recorder) judge(ms *measurement, tokens int64) {
	good := true
	r.mu.Lock()
	defer r.mu.Unlock()
	for m, limit := range r.goodput {
		x := ms.value(m)
		if math.IsNaN(x) || x > limit {
			good = false
			continue
		}
		r.attained[m]++
	}
	if good {
		r.good++
		r.goodTokens += tokens
	}
}

func (r *recorder) fail(label, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.byLabel[label]
	if a == nil {
		a = &labelAgg{}
		r.byLabel[label] = a
	}
	a.count++
	if msg == "" || len(a.messages) >= r.maxMessages {
		return
	}
	for _, m := range a.messages {
		if m == msg {
			return
		}
	}
	a.messages = append(a.messages, msg)
}

func (r *recorder) keep(o *outcome) {
	rec := RequestRecord{
		Stage: o.stage, Index: o.index, ID: o.id,
		Scheduled: o.scheduled, Start: o.start, End: o.end,
		InputLength: o.inputLen, MaxTokens: o.maxTokens,
		Chunks: o.chunks, Label: o.label, Error: o.message,
	}
	if o.chunks > 0 {
		rec.FirstToken, rec.LastToken = o.first, o.last
		if r.chunkTimes {
			// The gaps were taken between consecutive arrival stamps, so
			// summing them from the first rebuilds every stamp exactly.
			rec.ChunkTimes = make([]time.Duration, 1, len(o.gaps)+1)
			rec.ChunkTimes[0] = o.first
			t := o.first
			for _, g := range o.gaps {
				t += g
				rec.ChunkTimes = append(rec.ChunkTimes, t)
			}
		}
	}
	if o.usage {
		rec.PromptTokens, rec.OutputTokens = o.prompt, o.completion
	}
	r.mu.Lock()
	r.records = append(r.records, rec)
	r.mu.Unlock()
}

// RequestRecord is one request's outcome, kept only when Options.PerRequest is set.
// Times are offsets from the start of the run on a monotonic clock.
type RequestRecord struct {
	Stage, Index int
	// ID is the X-Request-Id the request carried.
	ID                         string
	Scheduled, Start, End      time.Duration
	FirstToken, LastToken      time.Duration
	InputLength, MaxTokens     int
	PromptTokens, OutputTokens int64 // server usage; 0 when the server sent none
	Chunks                     int   // content-bearing chunks received
	// ChunkTimes are the arrival times of the content chunks, kept with Options.ChunkTimes.
	ChunkTimes   []time.Duration
	Label, Error string
}

// stage builds the report stage from what was recorded.
func (r *recorder) stage(id int) report.Stage {
	s := report.Stage{
		ID:                   id,
		Requests:             r.requests.Load(),
		Successes:            r.successes.Load(),
		Failures:             r.failures.Load(),
		TokenCountMismatches: r.mismatches.Load(),
		OutputLength:         r.length.report(r.exactLength),
		PromptTokensTotal:    r.promptTotal.Load(),
		OutputTokensTotal:    r.outputTotal.Load(),
		Distributions:        map[report.Metric]report.Distribution{},
		FailuresByLabel:      map[string]report.FailureLabel{},
	}
	for m, h := range r.hist {
		if h.Count() > 0 {
			s.Distributions[m] = h
		}
	}
	s.SendDuration = r.maxStart.span()
	if s.Requests > 0 {
		lo := r.minStart.lo.Load()
		s.Duration = time.Duration(r.maxEnd.hi.Load() - lo)
	}
	if s.SendDuration > 0 {
		s.AchievedRate = float64(s.Requests) / s.SendDuration.Seconds()
	}
	if t := s.Duration.Seconds(); t > 0 {
		s.Throughput = report.Throughput{
			InputTokensPerSec:  float64(s.PromptTokensTotal) / t,
			OutputTokensPerSec: float64(s.OutputTokensTotal) / t,
			TotalTokensPerSec:  float64(s.PromptTokensTotal+s.OutputTokensTotal) / t,
			RequestsPerSec:     float64(s.Successes) / t,
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for l, a := range r.byLabel {
		s.FailuresByLabel[l] = report.FailureLabel{Count: a.count, Messages: append([]string(nil), a.messages...)}
	}
	if len(r.goodput) > 0 {
		s.Goodput = r.goodputOf(s.Successes)
	}
	return s
}

// goodputOf summarises the goodput judgements over the stage's successes; r.mu is held.
func (r *recorder) goodputOf(successes int64) *report.Goodput {
	g := &report.Goodput{
		GoodRequests:  r.good,
		TotalRequests: successes,
		Attainment:    map[report.Metric]float64{},
		Constraints:   maps.Clone(r.goodput),
	}
	if successes == 0 {
		return g
	}
	g.Percentage = 100 * float64(r.good) / float64(successes)
	for m := range r.goodput {
		g.Attainment[m] = 100 * float64(r.attained[m]) / float64(successes)
	}
	if t := time.Duration(r.okMaxEnd.hi.Load() - r.okMinStart.lo.Load()).Seconds(); t > 0 {
		g.RequestGoodput = float64(r.good) / t
		g.TokenGoodput = float64(r.goodTokens) / t
	}
	return g
}

// merge folds o into r (for the summary over stages).
func (r *recorder) merge(o *recorder) {
	for m, h := range o.hist {
		r.hist[m].Merge(h)
	}
	r.requests.Add(o.requests.Load())
	r.successes.Add(o.successes.Load())
	r.failures.Add(o.failures.Load())
	r.promptTotal.Add(o.promptTotal.Load())
	r.outputTotal.Add(o.outputTotal.Load())
	r.mismatches.Add(o.mismatches.Load())
	r.length.merge(&o.length)
	for _, p := range []struct{ dst, src *minMax }{
		{&r.minStart, &o.minStart}, {&r.maxStart, &o.maxStart}, {&r.maxEnd, &o.maxEnd},
		{&r.okMinStart, &o.okMinStart}, {&r.okMaxEnd, &o.okMaxEnd},
	} {
		if lo := p.src.lo.Load(); lo != math.MaxInt64 {
			p.dst.add(time.Duration(lo))
			p.dst.add(time.Duration(p.src.hi.Load()))
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for l, a := range o.byLabel {
		d := r.byLabel[l]
		if d == nil {
			d = &labelAgg{}
			r.byLabel[l] = d
		}
		d.count += a.count
		for _, m := range a.messages {
			if len(d.messages) < r.maxMessages {
				d.messages = append(d.messages, m)
			}
		}
	}
	r.good += o.good
	r.goodTokens += o.goodTokens
	for m, n := range o.attained {
		r.attained[m] += n
	}
	r.records = append(r.records, o.records...)
}
