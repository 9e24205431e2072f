package loadgen

import (
	"context"
	"time"
)

// Waiting for a send time: Go timers fire up to ~1 ms late for short sleeps,
// so the clock waits in three steps: a cancellable timer until coarseLead
// before the target, a high-resolution sleep (nanosleep on Linux) until
// spinLead before it, then a busy spin that keeps the processor (a yielding
// spin would queue the pacer behind every runnable goroutine, which under load
// costs milliseconds). Each wait burns at most 2·spinLead of CPU, and the send
// lands within microseconds of its time when a CPU is free.
const (
	coarseLead = 2 * time.Millisecond
	spinLead   = 80 * time.Microsecond
)

// clock measures monotonic time since base.
type clock struct{ base time.Time }

func (c clock) now() time.Duration { return time.Since(c.base) }

// waiter sleeps until offsets of a clock; it owns one reusable timer.
type waiter struct {
	c     clock
	timer *time.Timer
}

func newWaiter(c clock) *waiter {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &waiter{c: c, timer: t}
}

// until blocks until c.now() >= at or ctx ends; it returns ctx.Err() when cancelled.
func (w *waiter) until(ctx context.Context, at time.Duration) error {
	for {
		rem := at - w.c.now()
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
		case rem > 2*spinLead:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			preciseSleep(rem - spinLead)
		default:
			for w.c.now() < at {
			}
			return nil
		}
	}
}
