//go:build !linux

package loadgen

import (
	"runtime"
	"time"
)

// preciseSleep yields until d has passed: without a high-resolution sleep
// call, spinning is the only precise wait.
func preciseSleep(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		runtime.Gosched()
	}
}
