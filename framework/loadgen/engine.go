package loadgen

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// EngineName identifies the native engine in reports.
const EngineName = "tailgate-native"

// Result is what a run produced: the report and, when asked, per-request records.
type Result struct {
	Report   *report.Report
	Requests []RequestRecord
}

// engine is one run's state.
type engine struct {
	o         Options
	clk       clock
	client    *http.Client
	wire      *wireClient // nil: requests go through client
	endpoint  string
	header    http.Header
	tmpl      bodyTemplate
	keys      contentKeys
	keysWhole contentKeys
	runID     string
	pool      sync.Pool

	work        chan ticket // idle workers wait here for their next request
	workerLimit int
	spawned     int // touched only by the sending goroutine
	workers     sync.WaitGroup
	reqBase     context.Context // parent of every stage's request context; outlives cancellation

	inFlight, maxInFlight atomic.Int64
	sent, done, failed    atomic.Int64
	scheduled             atomic.Int64
	stageNo               atomic.Int64
	stages                atomic.Int64
	planned               atomic.Int64  // time.Duration
	drainEnds             atomic.Int64  // clock offset at which the current drain ends; 0 when not draining
	kick                  chan struct{} // asks for a progress report now
	busyMu                sync.Mutex
	busy                  []*worker // every started worker, for the oldest request in flight
}

// stageRun is one stage in progress.
type stageRun struct {
	id            int
	rec           *recorder
	iv            *intervals // nil for sweep probes
	wg            sync.WaitGroup
	planned       int64
	sent          atomic.Int64
	hits          atomic.Int64
	sem           chan struct{} // concurrent stages: one token per request in flight
	requestedRate float64
	concurrency   int
	partial       bool
	// reqCtx is the stage's request context, cancelled after the drain that
	// follows cancellation (or the sweep probe's timeout).
	reqCtx    context.Context
	cancelReq context.CancelCauseFunc
	// origin is the clock offset at which the stage's lead-in begins.
	origin time.Duration
	// cut counts the requests the drain timeout ended after the last send.
	cut atomic.Int64
}

// Run drives the load the options describe and returns the report. Only
// invalid options fail before any load; once load has started, Run returns
// whatever was measured. When ctx ends, Run stops sending, gives in-flight
// requests Options.Drain to finish, cancels the rest, and returns the
// report marked Partial (with a nil error: the report says why).
func Run(ctx context.Context, opts Options) (*Result, error) {
	opts.defaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	e := &engine{o: opts, clk: newClock(opts.StartAt)}
	if err := e.setup(); err != nil {
		return nil, err
	}
	if e.wire != nil {
		defer e.wire.closeIdle()
	}
	e.reqBase = context.WithoutCancel(ctx)
	workers := e.startPool()
	defer func() { close(e.work); e.workers.Wait() }()

	e.kick = make(chan struct{}, 1)
	stopProgress := e.startProgress(ctx)
	defer stopProgress()

	var late time.Duration // how far past StartAt the load begins
	if !opts.StartAt.IsZero() {
		late = max(e.clk.now(), 0)
	}
	stages, err := e.plan(ctx)
	if err != nil {
		return nil, err
	}
	runs, runErr := e.runStages(ctx, stages)
	rep := e.buildReport(runs, workers)
	e.markPartial(ctx, rep, runs, stages, runErr)
	rep.Shard = e.shardInfo(late)
	res := &Result{Report: rep}
	if opts.PerRequest {
		for _, st := range runs {
			res.Requests = append(res.Requests, st.rec.records...)
		}
	}
	if runErr != nil && ctx.Err() == nil {
		return res, runErr
	}
	return res, nil
}

// newClock starts the run clock now, or at startAt when set (offsets before
// it are negative), keeping a monotonic reading either way.
func newClock(startAt time.Time) clock {
	now := time.Now()
	if startAt.IsZero() {
		return clock{base: now}
	}
	return clock{base: now.Add(startAt.Sub(now))}
}

// startPool sizes the worker pool: workers start on demand, up to the
// in-flight limit, and park between requests, so the pool is as large as
// the highest concurrency reached, not the limit (which can be tens of
// thousands). It returns the limit.
func (e *engine) startPool() int {
	workers := e.o.Workers * e.o.WorkerMaxConcurrency
	for _, s := range e.o.Stages {
		workers = max(workers, s.ConcurrencyLevel)
	}
	e.work = make(chan ticket)
	e.workerLimit = workers
	return workers
}

// plan returns the stages to run: the options' own, or a sweep's after its
// probe. An interrupted probe yields no stages and no error.
func (e *engine) plan(ctx context.Context) ([]Stage, error) {
	if e.o.Sweep == nil {
		return e.o.Stages, nil
	}
	stages, err := e.sweep(ctx)
	if err != nil && ctx.Err() == nil {
		return nil, err
	}
	return stages, nil
}

// runStages runs the stages in order until one fails or ctx ends; it returns
// the stages started.
func (e *engine) runStages(ctx context.Context, stages []Stage) ([]*stageRun, error) {
	e.stages.Store(int64(len(stages)))
	e.planned.Store(int64(e.plannedLength(stages)))
	var runs []*stageRun
	for i, s := range stages {
		if ctx.Err() != nil {
			break
		}
		st := e.newStage(i, s)
		st.origin = e.stageOrigin(i, stages)
		e.startIntervals(st)
		e.stageNo.Store(int64(i))
		runs = append(runs, st)
		if err := e.runStage(ctx, st, s); err != nil {
			return runs, err
		}
		if i < len(stages)-1 && e.o.Interval > 0 && !e.anchored(i+1) {
			w := newWaiter(e.clk)
			_ = w.until(ctx, e.clk.now()+e.o.Interval)
		}
	}
	return runs, nil
}

// buildReport assembles the report of the stages that ran.
func (e *engine) buildReport(runs []*stageRun, workers int) *report.Report {
	rep := &report.Report{Source: EngineName}
	summary := newRecorder(&e.o)
	for _, st := range runs {
		s := st.rec.stage(st.id)
		s.Timeline = st.iv.finish()
		s.Partial = st.partial
		s.RequestedRate = st.requestedRate
		s.Concurrency = st.concurrency
		s.Generator = &report.GeneratorStats{
			Engine: EngineName, Scheduled: st.planned, Sent: st.sent.Load(),
			Workers: workers, InFlightLimit: workers,
			InFlightLimitHits: st.hits.Load(), MaxInFlight: e.maxInFlight.Load(),
		}
		if st.concurrency > 0 {
			s.Generator.InFlightLimit = st.concurrency
		}
		rep.Stages = append(rep.Stages, s)
		summary.merge(st.rec)
	}
	rep.Summary = summary.stage(-1)
	rep.Summary.RequestedRate, rep.Summary.AchievedRate, rep.Summary.SendDuration = 0, 0, 0
	g := &report.GeneratorStats{Engine: EngineName, Workers: workers, InFlightLimit: workers, MaxInFlight: e.maxInFlight.Load()}
	for _, s := range rep.Stages {
		g.Scheduled += s.Generator.Scheduled
		g.Sent += s.Generator.Sent
		g.InFlightLimitHits += s.Generator.InFlightLimitHits
		if s.Partial {
			rep.Summary.Partial = true
		}
	}
	rep.Summary.Generator = g
	return rep
}

// markPartial says why the report is partial, if it is.
func (e *engine) markPartial(ctx context.Context, rep *report.Report, runs []*stageRun, stages []Stage, runErr error) {
	switch {
	case ctx.Err() != nil:
		rep.Partial = true
		rep.PartialReason = fmt.Sprintf("interrupted (%v) during stage %d of %d after %d of %d planned requests",
			context.Cause(ctx), len(runs)-1, len(stages), rep.Summary.Generator.Sent, e.plannedTotal(stages))
	case runErr != nil:
		rep.Partial = true
		rep.PartialReason = runErr.Error()
	case len(runs) < len(stages):
		rep.Partial = true
		rep.PartialReason = fmt.Sprintf("only %d of %d stages ran", len(runs), len(stages))
	case cutReason(runs, e.o.DrainTimeout) != "":
		rep.Partial = true
		rep.PartialReason = cutReason(runs, e.o.DrainTimeout)
	}
	rep.Summary.Partial = rep.Partial || rep.Summary.Partial
}

// shardInfo is what the report records of the shard, nil for an unsharded run.
func (e *engine) shardInfo(late time.Duration) *report.Shard {
	if e.o.Shard.Count == 0 {
		return nil
	}
	return &report.Shard{Index: e.o.Shard.Index, Count: e.o.Shard.Count, RunID: e.runID, StartAt: e.o.StartAt, Lateness: late}
}

func (e *engine) setup() error {
	o := &e.o
	e.runID = o.RunID
	if e.runID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		e.runID = hex.EncodeToString(b)
	}
	base := strings.TrimRight(o.BaseURL, "/")
	if o.API == APIChat {
		e.endpoint = base + "/v1/chat/completions"
		e.keys = contentKeys{field: "delta", chat: true}
		e.keysWhole = contentKeys{field: "message", chat: true}
	} else {
		e.endpoint = base + "/v1/completions"
		e.keys = contentKeys{field: "text"}
		e.keysWhole = contentKeys{field: "text"}
	}
	e.header = http.Header{"Content-Type": {"application/json"}}
	if o.Streaming {
		e.header["Accept"] = []string{"text/event-stream"}
	}
	if o.APIKey != "" {
		e.header["Authorization"] = []string{"Bearer " + o.APIKey}
	}
	for k, v := range o.Headers {
		e.header.Set(k, v)
	}
	e.tmpl = newBodyTemplate(o.Model, o.API == APIChat, o.Streaming, o.IgnoreEOS)
	e.client = o.Client
	if e.client == nil && !o.NetHTTP {
		wc, err := newWireClient(e.endpoint, e.header, o)
		if err != nil {
			return err
		}
		e.wire = wc
	}
	if e.client == nil {
		e.client = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxConnsPerHost:     o.MaxTCPConnections,
			MaxIdleConns:        o.MaxTCPConnections,
			MaxIdleConnsPerHost: o.MaxTCPConnections,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
			TLSClientConfig:     o.TLSConfig,
			// HTTP/1.1 only, as inference-perf's aiohttp client.
			TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
		}}
	}
	e.pool.New = func() any { return &prepared{} }
	return nil
}

func (e *engine) requestID(stage, index int) string {
	b := make([]byte, 0, 32)
	b = append(b, "tg-"...)
	b = append(b, e.runID...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(stage), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(index), 10)
	return string(b)
}

func (e *engine) newStage(id int, s Stage) *stageRun {
	st := &stageRun{id: id, rec: newRecorder(&e.o)}
	st.reqCtx, st.cancelReq = context.WithCancelCause(e.reqBase)
	sh := e.o.Shard
	if e.o.Load == LoadConcurrent {
		st.planned = int64(sh.share(s.NumRequests))
		st.concurrency = sh.share(s.ConcurrencyLevel)
		st.sem = make(chan struct{}, st.concurrency)
	} else {
		whole := plannedRequests(s)
		st.planned = int64(sh.share(whole))
		st.requestedRate = s.Rate
		if sh.sharded() {
			st.requestedRate = s.Rate * float64(st.planned) / float64(whole) // the shard's exact share
		}
	}
	return st
}

func (e *engine) plannedLength(stages []Stage) time.Duration {
	var d time.Duration
	for i, s := range stages {
		d += e.o.LeadIn + s.Duration
		if i < len(stages)-1 {
			d += e.o.Interval
		}
	}
	return d
}

func (e *engine) plannedTotal(stages []Stage) int64 {
	var n int64
	for _, s := range stages {
		if e.o.Load == LoadConcurrent {
			n += int64(e.o.Shard.share(s.NumRequests))
		} else {
			n += int64(e.o.Shard.share(plannedRequests(s)))
		}
	}
	return n
}

// stageSeed derives a per-stage, per-purpose seed from the run seed.
func (e *engine) seed(purpose uint64, stage int) uint64 {
	return uint64(e.o.Seed)*0x9e3779b97f4a7c15 ^ purpose<<32 ^ uint64(stage+1)
}

// runStage sends one stage and waits for its requests to finish.
func (e *engine) runStage(ctx context.Context, st *stageRun, s Stage) error {
	defer st.iv.close() // runs after every request of the stage was recorded
	defer st.cancelReq(nil)
	n := int(st.planned)
	e.scheduled.Add(st.planned)
	prodCtx, stopProd := context.WithCancel(ctx)
	defer stopProd()
	prep, prodErr := e.produce(prodCtx, n)

	arr := e.stageArrivals(st.id, n, s)
	w := newWaiter(e.clk)
	start := st.origin + e.o.LeadIn
	var err error
loop:
	for i := 0; i < n; i++ {
		var at time.Duration
		if arr != nil {
			off, ok := arr.next()
			if !ok {
				break
			}
			at = start + off
		}
		var p *prepared
		select {
		case p = <-prep:
		case <-ctx.Done():
			break loop
		}
		if p == nil { // the producer failed
			err = <-prodErr
			break
		}
		if st.sem != nil {
			if i == 0 {
				if werr := w.until(ctx, start); werr != nil {
					p.Close()
					break
				}
			}
			select {
			case st.sem <- struct{}{}:
			case <-ctx.Done():
				p.Close()
				break loop
			}
			at = e.clk.now()
		} else if werr := w.until(ctx, at); werr != nil {
			p.Close()
			break
		} else if e.o.PacerLateness != nil {
			e.o.PacerLateness.RecordDuration(e.clk.now() - at)
		}
		t := ticket{st: st, p: p, at: at}
		st.wg.Add(1)
		if !e.dispatch(t) {
			if st.sem == nil {
				st.hits.Add(1)
			}
			select {
			case e.work <- t:
			case <-ctx.Done():
				st.wg.Done()
				p.Close()
				break loop
			}
		}
	}
	if ctx.Err() != nil || err != nil {
		st.partial = true
	}
	e.drain(ctx, st)
	return err
}

// dispatch hands t to an idle worker or, below the in-flight limit, to a new
// one; it reports false when every allowed worker is busy.
func (e *engine) dispatch(t ticket) bool {
	select {
	case e.work <- t:
		return true
	default:
	}
	if e.spawned >= e.workerLimit {
		return false
	}
	e.spawned++
	e.workers.Add(1)
	go func() {
		defer e.workers.Done()
		w := e.newWorker()
		w.run(t)
		for t := range e.work {
			w.run(t)
		}
	}()
	return true
}

// produce prepares request bodies ahead of the schedule, in order, on one
// goroutine, so prompt synthesis never sits between a send time and its send.
// A nil value on the channel means the producer failed; its error follows on errc.
func (e *engine) produce(ctx context.Context, n int) (<-chan *prepared, <-chan error) {
	depth := 64
	out := make(chan *prepared, depth)
	errc := make(chan error, 1)
	stageSeed := e.seed(3, int(e.stageNo.Load()))
	go func() {
		defer close(out)
		src := newPromptSource(e.o.Seed, stageSeed)
		for i := 0; i < n; i++ {
			p := e.pool.Get().(*prepared)
			p.closed.Store(false)
			p.pool = &e.pool
			p.index = e.o.Shard.global(i)
			prompt, inLen, maxTok, err := e.makePrompt(p.index, src)
			if err != nil {
				errc <- fmt.Errorf("preparing request %d: %w", p.index, err)
				select {
				case out <- nil:
				case <-ctx.Done():
				}
				return
			}
			p.inputLen, p.maxTokens = inLen, maxTok
			p.body = e.tmpl.render(p.body[:0], prompt, maxTok)
			p.r.Reset(p.body)
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errc
}

// promptSource draws the lengths and prompt text of a stage's requests by
// their index in the whole run, so a shard's request i is the unsharded run's
// request i. Every stage restarts the length streams, as inference-perf
// reuses lengths[0..N-1] in each stage; prompt text varies per stage.
type promptSource struct {
	inRng, outRng *mrand.Rand
	text          *mrand.PCG
	textRng       *mrand.Rand
	stageSeed     uint64
	next          int // the run-wide index of the next length draw
}

func newPromptSource(seed int64, stageSeed uint64) *promptSource {
	text := mrand.NewPCG(stageSeed, 3)
	return &promptSource{
		inRng:  mrand.New(mrand.NewPCG(uint64(seed), 1)),
		outRng: mrand.New(mrand.NewPCG(uint64(seed), 2)),
		text:   text, textRng: mrand.New(text), stageSeed: stageSeed,
	}
}

// lengths returns request i's input and output lengths, drawing past the
// other shards' requests before it.
func (s *promptSource) lengths(i int, in, out Lengths) (int, int) {
	for ; s.next < i; s.next++ {
		in.Sample(s.inRng)
		out.Sample(s.outRng)
	}
	s.next++
	return in.Sample(s.inRng), out.Sample(s.outRng)
}

// textFor seeds the prompt text stream of request i.
func (s *promptSource) textFor(i int) *mrand.Rand {
	s.text.Seed(s.stageSeed, uint64(i)<<1|1)
	return s.textRng
}

func (e *engine) makePrompt(i int, src *promptSource) (string, int, int, error) {
	switch e.o.Data {
	case DataMock:
		if e.o.API == APIChat {
			return "mock prompt " + strconv.Itoa(i), 0, 30, nil
		}
		return "1 2 3 " + strconv.Itoa(i), 0, 30, nil
	}
	in, out := src.lengths(i, e.o.Input, e.o.Output)
	textRng := src.textFor(i)
	var prompt string
	var err error
	if e.o.Data == DataRandom {
		prompt, err = e.o.Prompts.Random(textRng, in)
	} else {
		prompt, err = e.o.Prompts.Synthetic(textRng, in)
	}
	return prompt, in, out, err
}

// finish classifies the outcome and records it, unless the run cancelled it.
func (e *engine) finish(st *stageRun, o *outcome, err error) {
	defer st.wg.Done()
	if st.sem != nil {
		defer func() { <-st.sem }()
	}
	if err != nil {
		if st.reqCtx.Err() != nil && errors.Is(err, context.Canceled) {
			if !errors.Is(context.Cause(st.reqCtx), errDrainCut) {
				return // cancelled by the run, not a server failure: not recorded (as inference-perf)
			}
			st.cut.Add(1)
			err = fmt.Errorf("%w after %s", errDrainCut, e.o.DrainTimeout)
		}
		o.label, o.message = classify(err)
		e.failed.Add(1)
	}
	e.done.Add(1)
	ms := o.measure()
	st.rec.recordMeasured(o, ms)
	st.iv.record(o, ms)
}

// classify turns a request error into inference-perf's label and a message.
func classify(err error) (label, msg string) {
	var se *serverError
	var ir *invalidResponse
	var le *lengthError
	var ea *errorAnswer
	switch {
	case errors.Is(err, errDrainCut):
		return LabelDrainTimeout, err.Error()
	case errors.As(err, &le):
		return le.label, le.msg
	case errors.As(err, &ea):
		return LabelErrorObject, ea.msg
	case errors.As(err, &se):
		if se.code >= 400 && se.code <= 599 {
			return httpLabel(se.code, se.msg), se.msg
		}
		return LabelInvalidResponse, se.msg
	case errors.As(err, &ir):
		return LabelInvalidResponse, ir.msg
	}
	label = transportLabel(err)
	msg = err.Error()
	if label == LabelTimeout && errors.Is(err, context.DeadlineExceeded) {
		msg = "request timed out"
	}
	return label, msg
}

// startProgress calls Options.Progress every ProgressEvery until stopped.
func (e *engine) startProgress(ctx context.Context) func() {
	if e.o.Progress == nil {
		return func() {}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(e.o.ProgressEvery)
		defer t.Stop()
		lastSent, lastAt := int64(0), e.clk.now()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			case <-e.kick:
			}
			now := e.clk.now()
			sent := e.sent.Load()
			rate := 0.0
			if dt := (now - lastAt).Seconds(); dt > 0 {
				rate = float64(sent-lastSent) / dt
			}
			lastSent, lastAt = sent, now
			e.o.Progress(Progress{
				Stage: int(e.stageNo.Load()), Stages: int(e.stages.Load()),
				Elapsed: now, Planned: time.Duration(e.planned.Load()),
				Scheduled: e.scheduled.Load(), Sent: sent,
				Completed: e.done.Load(), Failed: e.failed.Load(),
				InFlight: e.inFlight.Load(), Rate: math.Round(rate*100) / 100,
			}.withDrain(e, now))
		}
	}()
	return func() { close(stop); <-done }
}
