//go:build linux || darwin || freebsd || netbsd || openbsd

// Package hrsleep sleeps for short intervals more precisely than Go's timers,
// which can fire a millisecond late when the process is idle.
package hrsleep

import (
	"syscall"
	"time"
)

// Sleep blocks the calling thread for d with the kernel's high-resolution
// timer (tens of microseconds of slack), resuming after interruptions.
func Sleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
