//go:build !race

package tokenizer_test

// propertyScale scales the number of targets of the property tests; the race detector
// makes encoding about ten times slower.
const propertyScale = 1
