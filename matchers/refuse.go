package matchers

import "fmt"

// refusal is an error that refuses to judge: errors.Is(err, ErrInconclusive)
// holds for it and for any error wrapping it, while its text stays the plain
// reason (no "inconclusive" suffix).
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }

func (r *refusal) Unwrap() error { return r.err }

// Is makes every refusal match ErrInconclusive.
func (r *refusal) Is(target error) bool { return target == ErrInconclusive }

// refuse formats a refusal to judge; %w in format wraps as fmt.Errorf does.
func refuse(format string, args ...any) error {
	return &refusal{err: fmt.Errorf(format, args...)}
}
