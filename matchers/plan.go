package matchers

// SamplesNeeded is the sample-count rule's minimum for percentile p with k
// samples above it (k = MinTailSamples by default): n >= k/(1-p/100).
func SamplesNeeded(p float64, k int) int64 { return minSamples(p, k) }
