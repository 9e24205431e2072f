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
	e := &engine{o: opts, clk: clock{base: time.Now()}}
	if err := e.setup(); err != nil {
		return nil, err
	}
	if e.wire != nil {
		defer e.wire.closeIdle()
	}

	e.reqBase = context.WithoutCancel(ctx)

	workers := opts.Workers * opts.WorkerMaxConcurrency
	for _, s := range opts.Stages {
		workers = max(workers, s.ConcurrencyLevel)
	}
	// Workers start on demand, up to the in-flight limit, and park between
	// requests: the pool is as large as the highest concurrency reached, not
	// the limit (which can be tens of thousands).
	e.work = make(chan ticket)
	e.workerLimit = workers
	defer func() { close(e.work); e.workers.Wait() }()

	e.kick = make(chan struct{}, 1)
	stopProgress := e.startProgress(ctx)
	defer stopProgress()

	rep := &report.Report{Source: EngineName}
	summary := newRecorder(&e.o)
	var runs []*stageRun
	var runErr error

	stages := opts.Stages
	if opts.Sweep != nil {
		var err error
		stages, err = e.sweep(ctx)
		if err != nil {
			if ctx.Err() == nil {
				return nil, err
			}
			runErr = nil
		}
	}
	e.stages.Store(int64(len(stages)))
	e.planned.Store(int64(e.plannedLength(stages)))
	for i, s := range stages {
		if ctx.Err() != nil {
			break
		}
		st := e.newStage(i, s)
		e.startIntervals(st)
		e.stageNo.Store(int64(i))
		runs = append(runs, st)
		if err := e.runStage(ctx, st, s); err != nil {
			runErr = err
			break
		}
		if i < len(stages)-1 && opts.Interval > 0 {
			w := newWaiter(e.clk)
			_ = w.until(ctx, e.clk.now()+opts.Interval)
		}
	}

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
	switch {
	case ctx.Err() != nil:
		rep.Partial = true
		rep.PartialReason = fmt.Sprintf("interrupted (%v) during stage %d of %d after %d of %d planned requests",
			context.Cause(ctx), len(runs)-1, len(stages), g.Sent, e.plannedTotal(stages))
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
	res := &Result{Report: rep}
	if opts.PerRequest {
		res.Requests = summary.records
	}
	if runErr != nil && ctx.Err() == nil {
		return res, runErr
	}
	return res, nil
}

func (e *engine) setup() error {
	o := &e.o
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	e.runID = hex.EncodeToString(b)
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
	if e.o.Load == LoadConcurrent {
		st.planned = int64(s.NumRequests)
		st.concurrency = s.ConcurrencyLevel
		st.sem = make(chan struct{}, s.ConcurrencyLevel)
	} else {
		st.planned = int64(plannedRequests(s))
		st.requestedRate = s.Rate
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
			n += int64(s.NumRequests)
		} else {
			n += int64(plannedRequests(s))
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

	var arr arrivals
	switch e.o.Load {
	case LoadConstant:
		arr = newConstantArrivals(e.seed(1, st.id), n, s.Duration.Seconds())
	case LoadPoisson:
		arr = newPoissonArrivals(e.seed(2, st.id), n, s.Rate)
	case LoadUniform:
		arr = &uniformArrivals{n: n, gap: s.Duration.Seconds() / float64(n)}
	}
	w := newWaiter(e.clk)
	start := e.clk.now() + e.o.LeadIn
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
		// Every stage restarts the length streams, as inference-perf reuses
		// lengths[0..N-1] in each stage; prompt text varies per stage.
		inRng := mrand.New(mrand.NewPCG(uint64(e.o.Seed), 1))
		outRng := mrand.New(mrand.NewPCG(uint64(e.o.Seed), 2))
		textRng := mrand.New(mrand.NewPCG(stageSeed, 3))
		for i := 0; i < n; i++ {
			p := e.pool.Get().(*prepared)
			p.closed.Store(false)
			p.pool = &e.pool
			p.index = i
			prompt, inLen, maxTok, err := e.makePrompt(i, inRng, outRng, textRng)
			if err != nil {
				errc <- fmt.Errorf("preparing request %d: %w", i, err)
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

func (e *engine) makePrompt(i int, inRng, outRng, textRng *mrand.Rand) (string, int, int, error) {
	switch e.o.Data {
	case DataMock:
		if e.o.API == APIChat {
			return "mock prompt " + strconv.Itoa(i), 0, 30, nil
		}
		return "1 2 3 " + strconv.Itoa(i), 0, 30, nil
	}
	in := e.o.Input.Sample(inRng)
	out := e.o.Output.Sample(outRng)
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
	st.rec.record(o)
	st.iv.record(o)
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
