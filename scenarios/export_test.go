package scenarios

// ChartBase exposes the chart's common settings to the tests, so presets can be checked
// against the chart's values file built up from nothing but those settings.
var ChartBase = chartBase
