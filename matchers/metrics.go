package matchers

import (
	"strings"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// slaMetric returns the metric an SLA file's latency key names (any name the
// metric registry gives a metric an SLA may bound).
func slaMetric(name string) (report.Metric, bool) {
	i, ok := report.LookupMetric(name)
	if !ok || !i.SLA {
		return "", false
	}
	return i.Metric, true
}

// slaMetricKeys lists the short keys of the metrics an SLA may bound, for error messages.
func slaMetricKeys() string {
	return strings.Join(report.MetricKeys(func(i report.MetricInfo) bool { return i.SLA }), ", ")
}

// shortName is a metric's display name in promise names: "TTFT", "request latency".
func shortName(m report.Metric) string { return m.Info().Name }
