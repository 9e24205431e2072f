package loadgen

import (
	"context"
	"time"
)

// Waiting for a send time: Go timers fire up to ~1 ms late for short sleeps,
// so the clock waits in up to three steps: a cancellable timer until
// coarseLead before the target, a high-resolution sleep (nanosleep on Linux,
// ~50 µs of kernel slack), and, while the spin budget allows, a busy spin over
// the last spinLead that takes the kernel's slack out of the send time. The
// budget caps spinning at spinShare of one core over the waiter's life, so at
// high rates (gaps near spinLead) the pacer sleeps instead of burning the CPU
// the HTTP work needs.
const (
	coarseLead = 2 * time.Millisecond
	spinLead   = 80 * time.Microsecond
	spinShare  = 0.05
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
	for {
		now := w.c.now()
		rem := at - now
		spin := w.maySpin(now)
		switch {
		case rem <= 0:
			return nil
		case rem > coarseLead+time.Millisecond:
			w.timer.Reset(rem - coarseLead)
			select {
			case <-ctx.Done():
				w.timer.Stop()
				return ctx.Err()
			case <-w.timer.C:
			}
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
			preciseSleep(rem)
		}
	}
}
