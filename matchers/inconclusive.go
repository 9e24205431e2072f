package matchers

import "errors"

// ErrInconclusive marks a refusal to judge: the evidence cannot decide the
// promise (a metric is missing, too few samples, the load was not delivered,
// the run is partial, the evidence could not be saved). A refusal blocks a
// release like a broken promise, but callers tell the two apart with
// errors.Is(err, ErrInconclusive) so CI can retry a run it could not judge.
var ErrInconclusive = errors.New("inconclusive")
