//go:build !(linux || darwin || freebsd || netbsd || openbsd)

// Package hrsleep sleeps for short intervals more precisely than Go's timers,
// which can fire a millisecond late when the process is idle.
package hrsleep

import (
	"runtime"
	"time"
)

// Sleep yields the processor until d has passed, where no high-resolution
// sleep call is available.
func Sleep(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		runtime.Gosched()
	}
}
