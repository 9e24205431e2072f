//go:build race

package loadgen_test

// raceEnabled: the race detector slows every goroutine several-fold, so timing
// accuracy is not judged under it.
const raceEnabled = true
