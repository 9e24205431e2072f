package matchers

// ImpliedErrorRate is the error-rate bound every SLA gets when it sets no
// error_rate (and the zero SLA, used when there is no SLA file): failed /
// all requests must stay below 1%. It is the bar a P99 latency promise
// already sets, since a failed request counts beyond any latency threshold:
// more than 1% failures put a failure at the 99th percentile. Without an
// explicit promise about errors, a run whose requests fail (all of them, or
// one in a hundred) never passes.
const ImpliedErrorRate = 0.01

// impliedSuffix marks the name of a promise the SLA file does not state.
const impliedSuffix = " (implied: the SLA sets none)"

// impliedPromises are the promises every SLA carries whether it states them
// or not: delivered load (a precondition: when it breaks, every promise is
// refused as inconclusive) and, unless the SLA sets error_rate, an error rate
// under ImpliedErrorRate.
func (s SLA) impliedPromises(load LoadBounds) []Promise {
	out := []Promise{{Name: "load delivered", Implied: true, Matcher: &preconditionMatcher{HaveDeliveredLoad(load)}}}
	if s.ErrorRate == nil {
		out = append(out, Promise{
			Name:    "error rate < " + percent(ImpliedErrorRate) + impliedSuffix,
			Implied: true,
			Matcher: HaveErrorRateBelow(ImpliedErrorRate).WithLoadBounds(load),
		})
	}
	return out
}

// loadBounds returns the SLA's delivered-load bounds; the zero SLA (no SLA
// file) uses DefaultLoadBounds.
func (s SLA) loadBounds() LoadBounds {
	if s.Load == (LoadBounds{}) {
		return DefaultLoadBounds()
	}
	return s.Load
}

// source names the SLA in messages.
func (s SLA) source() string {
	if s.Source == "" {
		return "(no SLA file: implied promises only)"
	}
	return s.Source
}

// preconditionMatcher turns HaveDeliveredLoad into the SLA's precondition:
// load that was not delivered is a refusal to judge (ErrInconclusive), not a
// broken promise, because the run measured a different experiment.
type preconditionMatcher struct{ *DeliveredLoadMatcher }

// Match implements types.GomegaMatcher.
func (m *preconditionMatcher) Match(actual any) (bool, error) {
	ok, err := m.DeliveredLoadMatcher.Match(actual)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, refuse("%s", m.FailureMessage(actual))
	}
	return true, nil
}
