package matchers

import (
	"fmt"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// EveryStageMatcher is the matcher InEveryStage returns.
type EveryStageMatcher struct {
	inner    types.GomegaMatcher
	failures []string
	refusals []string
	stages   int
}

// InEveryStage applies m to every stage of a report instead of its summary,
// and lists every stage that fails at once. A stage that breaks the promise
// fails the match (the stages m refused to judge are listed too); when no
// stage breaks it and some cannot be judged, Match returns an error wrapping
// ErrInconclusive. A sweep gate reads:
//
//	Expect(r).To(InEveryStage(HaveP99TTFTBelow(time.Second)))
func InEveryStage(m types.GomegaMatcher) *EveryStageMatcher { return &EveryStageMatcher{inner: m} }

// Match implements types.GomegaMatcher.
func (m *EveryStageMatcher) Match(actual any) (bool, error) {
	var r report.Report
	switch a := actual.(type) {
	case *report.Report:
		if a == nil {
			return false, refuse("no report (nil *report.Report)")
		}
		r = *a
	case report.Report:
		r = a
	default:
		return false, fmt.Errorf("InEveryStage wants a *report.Report, got %T", actual)
	}
	if len(r.Stages) == 0 {
		return false, refuse("the report has no stages")
	}
	m.failures, m.refusals, m.stages = nil, nil, len(r.Stages)
	var refusals []string
	for _, st := range r.Stages {
		if r.Partial {
			st.Partial = true // a stage of a partial report is judged as partial
		}
		ok, err := m.inner.Match(st)
		switch {
		case err != nil:
			refusals = append(refusals, st.Name()+": "+err.Error())
		case !ok:
			m.failures = append(m.failures, m.inner.FailureMessage(st))
		}
	}
	if len(refusals) > 0 && len(m.failures) == 0 {
		return false, refuse("%d of %d stages could not be judged:\n  - %s", len(refusals), m.stages, strings.Join(refusals, "\n  - "))
	}
	m.refusals = refusals
	return len(m.failures) == 0, nil
}

// FailureMessage implements types.GomegaMatcher.
func (m *EveryStageMatcher) FailureMessage(any) string {
	msg := fmt.Sprintf("%d of %d stages failed:\n  - %s", len(m.failures), m.stages, strings.Join(m.failures, "\n  - "))
	if len(m.refusals) > 0 {
		msg += fmt.Sprintf("\n%d could not be judged:\n  - %s", len(m.refusals), strings.Join(m.refusals, "\n  - "))
	}
	return msg
}

// NegatedFailureMessage implements types.GomegaMatcher.
func (m *EveryStageMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("all %d stages matched, want at least one not to", m.stages)
}
