package loadgen

import (
	"context"
	"runtime"
	"time"

	"github.com/tailgate-dev/tailgate/internal/hrsleep"
)

// Waiting for a send time: Go timers fire up to ~1 ms late for short sleeps,
// so the clock waits in up to three steps: a cancellable timer until
// coarseLead before the target, a high-resolution sleep (nanosleep on Linux,
// ~50 µs of kernel slack), and, while the spin budget allows, a busy spin over
// the last spinLead that takes the kernel's slack out of the send time. The
// budget caps spinning at spinShare of one core over the waiter's life, so at
// high rates (gaps near spinLead) the pacer sleeps instead of burning the CPU
// the HTTP work needs.
//
// Before its first high-resolution sleep or spin for a target, the waiter
// yields its processor once. The request it has just handed over sits in that
// processor's run queue, and a nanosleep keeps the processor in a system call
// (a spin keeps it running), so without the yield the worker that is to send
// waits for the pacer's next wake-up, up to a whole gap, whenever no other
// processor is idle to take it, as when the others are reading streamed
// tokens. Measured 2026-12-01 at 1,000 req/s of Poisson 16-token streams,
// six interleaved pairs of 10 s runs: the yield halves the lag's P50 (0.11–0.14
// to 0.05–0.07 ms); the P99 is then mostly the pacer's own late wake-up (the
// bench prints both).
//
// When sends come closer than busyGap apart on average, the runtime is busy
// enough that its own timers fire within tens of microseconds, while a
// nanosleep per send would cost a system call and a processor hand-off each
// (about 10% more client CPU per request at 5,000 req/s, with no better lag),
// so the waiter then uses the runtime's timer alone.
const (
	coarseLead = 2 * time.Millisecond
	spinLead   = 80 * time.Microsecond
	spinShare  = 0.05
	busyGap    = 500 * time.Microsecond
)

// clock measures monotonic time since base.
type clock struct{ base time.Time }

func (c clock) now() time.Duration { return time.Since(c.base) }

// waiter sleeps until offsets of a clock; it owns one reusable timer.
type waiter struct {
	c     clock
	timer *time.Timer
	born  time.Duration // clock reading at creation, the start of the spin budget
	spun  time.Duration // time spent spinning so far
	last  time.Duration // the previous target
	gap   time.Duration // moving average of the gaps between targets (1/16 weight)
}

func newWaiter(c clock) *waiter {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &waiter{c: c, timer: t, born: c.now()}
}

// maySpin reports whether spinning so far stays within the budget at now.
func (w *waiter) maySpin(now time.Duration) bool {
	return float64(w.spun) <= spinShare*float64(now-w.born)
}

// until blocks until c.now() >= at or ctx ends; it returns ctx.Err() when cancelled.
func (w *waiter) until(ctx context.Context, at time.Duration) error {
	if w.last > 0 {
		w.gap += (max(at-w.last, 0) - w.gap) / 16
	} else {
		w.gap = time.Second // no history: assume sparse sends
	}
	w.last = at
	busy := w.gap < busyGap
	yielded := false
	for {
		now := w.c.now()
		rem := at - now
		spin := w.maySpin(now)
		switch {
		case rem <= 0:
			return nil
		case busy || rem > coarseLead+time.Millisecond:
			lead := coarseLead
			if busy {
				lead = 0
			}
			w.timer.Reset(rem - lead)
			select {
			case <-ctx.Done():
				w.timer.Stop()
				return ctx.Err()
			case <-w.timer.C:
			}
		case !yielded:
			// Let the worker just handed a request run before this goroutine
			// holds the processor through a sleep or spin (see above).
			yielded = true
			runtime.Gosched()
		case spin && rem <= spinLead:
			for w.c.now() < at {
			}
			w.spun += w.c.now() - now
			return nil
		default:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if spin {
				rem -= spinLead
			}
			hrsleep.Sleep(rem)
		}
	}
}
