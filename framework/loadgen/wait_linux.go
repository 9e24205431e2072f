//go:build linux

package loadgen

import (
	"syscall"
	"time"
)

// preciseSleep sleeps d with the kernel's high-resolution timer (about 50 µs
// of slack), which Go's runtime timers do not offer for short sleeps.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // an interrupted sleep just returns early; the caller re-checks
}
