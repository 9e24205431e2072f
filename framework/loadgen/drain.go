package loadgen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// LabelDrainTimeout marks a request still in flight when the drain after a
// stage's last send ran out (Options.DrainTimeout).
const LabelDrainTimeout = "Drain Timeout"

// errDrainCut is the cause of a stage's request context when the drain
// timeout ends its requests still in flight.
var errDrainCut = errors.New("still in flight when the drain timeout after the last send ran out")

// drain waits for the stage's requests in flight after its last send. It
// waits at most Options.DrainTimeout, then cancels the rest, which are
// recorded as failures labelled LabelDrainTimeout; once ctx has ended it
// waits only Options.Drain and drops the rest unrecorded (an interrupted
// run is partial anyway). Progress reports say what is being waited for.
func (e *engine) drain(ctx context.Context, st *stageRun) {
	done := make(chan struct{})
	go func() { st.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	default:
	}
	if ctx.Err() == nil {
		var expired <-chan time.Time
		if st.id >= 0 { // the sweep's probe (id -1) is bounded by load.sweep.timeout alone
			e.drainEnds.Store(int64(e.clk.now() + e.o.DrainTimeout))
			defer e.drainEnds.Store(0)
			e.progressNow()
			timer := time.NewTimer(e.o.DrainTimeout)
			defer timer.Stop()
			expired = timer.C
		}
		select {
		case <-done:
			return
		case <-expired:
			st.cancelReq(errDrainCut)
			<-done
			st.partial = true
			return
		case <-ctx.Done():
		}
	}
	select {
	case <-done:
	case <-time.After(e.o.Drain):
		st.cancelReq(context.Canceled)
		<-done
	}
	st.partial = true
}

// progressNow asks the progress reporter for a report without waiting for its tick.
func (e *engine) progressNow() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// cutReason says which stages' drains ran out, or "" when none did.
func cutReason(runs []*stageRun, timeout time.Duration) string {
	var parts []string
	for _, st := range runs {
		if n := st.cut.Load(); n > 0 {
			parts = append(parts, fmt.Sprintf("stage %d: %d", st.id, n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("requests still in flight %s after the last send were cut and counted as failures (%q; %s); raise the drain timeout (--drain-timeout, TAILGATE_DRAIN_TIMEOUT) if the server is slow rather than stuck",
		timeout, LabelDrainTimeout, strings.Join(parts, ", "))
}

// newWorker makes a worker and registers it for oldestInFlight.
func (e *engine) newWorker() *worker {
	w := &worker{e: e}
	e.busyMu.Lock()
	e.busy = append(e.busy, w)
	e.busyMu.Unlock()
	return w
}

// oldestInFlight returns the age of the oldest request in flight at now, 0 when none is.
func (e *engine) oldestInFlight(now time.Duration) time.Duration {
	e.busyMu.Lock()
	defer e.busyMu.Unlock()
	oldest := time.Duration(0)
	for _, w := range e.busy {
		if since := w.busySince.Load(); since > 0 {
			oldest = max(oldest, now-time.Duration(since-1))
		}
	}
	return oldest
}

// withDrain adds what a drain in progress waits for.
func (p Progress) withDrain(e *engine, now time.Duration) Progress {
	if ends := e.drainEnds.Load(); ends > 0 {
		p.Draining = true
		p.DrainLeft = max(time.Duration(ends)-now, 0)
		p.OldestInFlight = e.oldestInFlight(now)
	}
	return p
}
