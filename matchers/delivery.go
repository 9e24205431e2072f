package matchers

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// LoadBounds are the checks that the load generator delivered the load the
// scenario asked for. Start from DefaultLoadBounds and change what you need.
type LoadBounds struct {
	// MinAchievedRatio is the least achieved/requested rate a stage may show.
	MinAchievedRatio float64
	// PoissonSigmas widens the rate check for short stages: with N requests a
	// Poisson schedule's achieved rate varies by about 1/√N by chance, so the
	// bound used is 1 - max(1-MinAchievedRatio, PoissonSigmas/√N).
	PoissonSigmas float64
	// MaxLagP50 and MaxLagP99 bound the schedule delay (actual - scheduled send).
	MaxLagP50, MaxLagP99 time.Duration
	// MaxInFlightLimitHits bounds the sends that waited for a free in-flight
	// slot (native engine only): such a send left its schedule.
	MaxInFlightLimitHits int64
	// AllowPartial accepts a report cut short (cancelled, timed out).
	AllowPartial bool
}

// DefaultLoadBounds returns the bounds every matcher applies unless told
// otherwise: achieved ≥ 95% of requested (widened by 3σ of Poisson noise for
// short stages), schedule delay P50 ≤ 10 ms (inference-perf's own accuracy
// bar) and P99 ≤ 100 ms, no in-flight limit hits, no partial report.
func DefaultLoadBounds() LoadBounds {
	return LoadBounds{
		MinAchievedRatio: 0.95,
		PoissonSigmas:    3,
		MaxLagP50:        10 * time.Millisecond,
		MaxLagP99:        100 * time.Millisecond,
	}
}

// String prints the bounds in one line.
func (b LoadBounds) String() string {
	return fmt.Sprintf("achieved >= %.0f%% of requested, schedule delay p50 <= %s and p99 <= %s, in-flight limit hits <= %d",
		100*b.MinAchievedRatio, b.MaxLagP50, b.MaxLagP99, b.MaxInFlightLimitHits)
}

// violations lists every way the subject shows the load was not delivered.
func (b LoadBounds) violations(s subject) []string {
	var out []string
	if s.partial && !b.AllowPartial {
		reason := s.partialReason
		if reason == "" {
			reason = "the run was cut short"
		}
		out = append(out, "partial report: "+reason)
	}
	for _, st := range s.check {
		out = append(out, b.stageViolations(st, st.ID >= 0 || s.summaryOnly)...)
	}
	return append(out, b.shardViolations(s)...)
}

// stageViolations checks one stage; judgeRate asks for the achieved vs
// requested rate check (skipped for a summary pooled over stages that are
// checked on their own).
func (b LoadBounds) stageViolations(st report.Stage, judgeRate bool) []string {
	var out []string
	name := st.Name()
	add := func(format string, args ...any) { out = append(out, name+": "+fmt.Sprintf(format, args...)) }
	if st.Partial && !b.AllowPartial {
		add("partial (the run was cut short)")
	}
	n := st.Requests
	if n == 0 {
		add("no requests recorded")
		return out
	}
	closedLoop := st.Concurrency > 0
	if judgeRate && !closedLoop {
		switch {
		case st.RequestedRate <= 0:
			if st.ID < 0 {
				add("requested rate unknown, cannot tell whether the generator kept up (a summary pools its stages: judge the *report.Report so each stage's delivery is checked)")
			} else {
				add("requested rate unknown, cannot tell whether the generator kept up")
			}
		case st.AchievedRate <= 0:
			add("achieved rate unknown, cannot tell whether the generator kept up")
		default:
			ratio := st.AchievedRate / st.RequestedRate
			tol := math.Max(1-b.MinAchievedRatio, b.PoissonSigmas/math.Sqrt(float64(n)))
			if !(ratio >= 1-tol) { // NaN is no evidence of delivery
				add("achieved %.4g req/s = %.1f%% of requested %.4g req/s (need >= %.1f%% with %d requests)",
					st.AchievedRate, 100*ratio, st.RequestedRate, 100*(1-tol), n)
			}
		}
	}
	if !closedLoop {
		d, ok := st.Distribution(report.ScheduleDelay)
		if !ok {
			add("schedule_delay missing, cannot tell whether requests were sent on time")
		} else {
			for _, c := range []struct {
				p   float64
				max time.Duration
			}{{50, b.MaxLagP50}, {99, b.MaxLagP99}} {
				v, err := d.Percentile(c.p)
				if err != nil {
					add("schedule_delay %s: %v", report.PercentileName(c.p), err)
					continue
				}
				if !(v <= c.max.Seconds()) { // NaN is no evidence of sending on time
					add("schedule delay %s = %s > %s",
						report.PercentileName(c.p), report.FormatSeconds(v), c.max)
				}
			}
		}
	}
	if g := st.Generator; g != nil {
		if g.InFlightLimitHits > b.MaxInFlightLimitHits && !closedLoop {
			add("%d sends waited for the in-flight limit of %d (allowed %d)", g.InFlightLimitHits, g.InFlightLimit, b.MaxInFlightLimitHits)
		}
		if g.Scheduled > 0 && g.Sent < g.Scheduled && !(st.Partial && b.AllowPartial) {
			add("sent %d of %d scheduled requests", g.Sent, g.Scheduled)
		}
	}
	return out
}

// loadError is the refusal to judge a promise on load that was not delivered.
func loadError(v []string) error {
	return refuse("load not delivered, refusing to judge: %s", strings.Join(v, "; "))
}
