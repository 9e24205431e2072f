package servermetrics

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// maxPoints caps the points of one range query (Prometheus refuses 11,000).
const maxPoints = 10000

// Prometheus names a Prometheus-compatible server holding the target's metrics.
type Prometheus struct {
	// URL is the server's base URL (user info, if any, is sent as basic auth).
	URL string
	// Selector picks the target's series, e.g. {namespace="default",model_name="qwen3-8b"}.
	Selector string
	// BearerToken, when set, is sent as a bearer token; it is never printed.
	BearerToken string
	// Step is the query resolution; 0 means 1 s. Use the scrape interval or less.
	Step time.Duration
	// Client performs the queries; nil uses http.DefaultTransport.
	Client *http.Client
}

// Samples queries every vLLM series the selector picks over [from, to] at
// the step and returns them as scrapes, for Windows.
type Samples struct{ s []sample }

// Window returns the figures over [from, to] as a direct scrape computes
// them, or nil when fewer than two points span it.
func (s *Samples) Window(from, to time.Time) *report.ServerMetrics {
	m := window(s.s, from, to, report.ServerFromPrometheus)
	if m != nil {
		m.Worst = worst(s.s, from, to, DefaultWorstWidth, report.ServerFromPrometheus)
	}
	return m
}

// Query runs one range query over [from, to] for every vLLM family tailgate reports.
func Query(ctx context.Context, p Prometheus, from, to time.Time) (*Samples, error) {
	sel, err := matchers(p.Selector)
	if err != nil {
		return nil, err
	}
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	step := p.Step
	if step <= 0 {
		step = time.Second
	}
	if n := to.Sub(from) / step; n > maxPoints {
		step = to.Sub(from)/maxPoints + time.Second
	}
	q := fmt.Sprintf(`{__name__=~%q%s}`, strings.Join(familyNames(), "|"), sel)
	v, _, _, err := promv1.NewAPI(c).QueryRange(ctx, q, promv1.Range{Start: from, End: to, Step: step})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", scenarios.RedactURL(p.URL), scenarios.RedactError(err, p.URL))
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("prometheus %s: range query answered %s, want a matrix", scenarios.RedactURL(p.URL), v.Type())
	}
	return &Samples{s: fromMatrix(m)}, nil
}

// matchers turns a selector such as {a="b",c=~"d"} into ",a=\"b\",c=~\"d\"".
func matchers(sel string) (string, error) {
	sel = strings.TrimSpace(sel)
	if sel == "" {
		return "", nil
	}
	inner, ok := strings.CutPrefix(sel, "{")
	if inner, ok = strings.CutSuffix(inner, "}"); !ok || strings.ContainsAny(inner, "{}") {
		return "", fmt.Errorf("TAILGATE_PROMETHEUS_SELECTOR=%q: want label matchers in braces, such as {namespace=\"default\",model_name=\"qwen3-8b\"}", sel)
	}
	if strings.TrimSpace(inner) == "" {
		return "", nil
	}
	return "," + inner, nil
}

func (p Prometheus) client() (api.Client, error) {
	u, err := url.Parse(p.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("TAILGATE_PROMETHEUS_URL=%q: want a base URL such as http://prometheus:9090", scenarios.RedactURL(p.URL))
	}
	rt := http.DefaultTransport
	if p.Client != nil && p.Client.Transport != nil {
		rt = p.Client.Transport
	}
	auth := authTransport{next: rt, token: p.BearerToken}
	if u.User != nil {
		auth.user = u.User.Username()
		auth.pass, _ = u.User.Password()
		u.User = nil
	}
	return api.NewClient(api.Config{Address: u.String(), RoundTripper: auth})
}

// authTransport adds the bearer token or basic auth to every query.
type authTransport struct {
	next              http.RoundTripper
	token, user, pass string
}

func (a authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	switch {
	case a.token != "":
		r.Header.Set("Authorization", "Bearer "+a.token)
	case a.user != "":
		r.SetBasicAuth(a.user, a.pass)
	}
	return a.next.RoundTrip(r)
}

// familyNames lists every series name the reduction reads.
func familyNames() []string {
	var out []string
	for _, names := range gaugeNames {
		out = append(out, names...)
	}
	for _, names := range counterNames {
		for _, n := range names {
			out = append(out, n+"_total", n)
		}
	}
	for _, names := range histogramNames {
		for _, n := range names {
			out = append(out, n+"_bucket", n+"_count", n+"_sum")
		}
	}
	sort.Strings(out)
	return out
}

// fromMatrix rebuilds, for every query step, the metric families a scrape
// at that time would have shown, and reduces them as a scrape is reduced.
func fromMatrix(m model.Matrix) []sample {
	hists := map[string]bool{}
	for _, names := range histogramNames {
		for _, n := range names {
			hists[n] = true
		}
	}
	byTime := map[model.Time]*familySet{}
	for _, ss := range m {
		for _, p := range ss.Values {
			fs := byTime[p.Timestamp]
			if fs == nil {
				fs = &familySet{fams: map[string]*dto.MetricFamily{}, hists: map[string]*dto.Histogram{}}
				byTime[p.Timestamp] = fs
			}
			fs.add(ss.Metric, float64(p.Value), hists)
		}
	}
	var out []sample
	for ts, fs := range byTime {
		out = append(out, sample{at: ts.Time(), snap: reduce(fs.fams)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// familySet collects the series of one instant into metric families.
type familySet struct {
	fams  map[string]*dto.MetricFamily
	hists map[string]*dto.Histogram // by family and series labels
}

func (f *familySet) add(lbls model.Metric, v float64, hists map[string]bool) {
	name := string(lbls[model.MetricNameLabel])
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		base, ok := strings.CutSuffix(name, suffix)
		if ok && hists[base] {
			f.addHistogram(base, suffix, lbls, v)
			return
		}
	}
	mf := f.family(name, dto.MetricType_UNTYPED)
	mf.Metric = append(mf.Metric, &dto.Metric{Untyped: &dto.Untyped{Value: &v}})
}

func (f *familySet) family(name string, t dto.MetricType) *dto.MetricFamily {
	mf := f.fams[name]
	if mf == nil {
		mf = &dto.MetricFamily{Name: &name, Type: &t}
		f.fams[name] = mf
	}
	return mf
}

func (f *familySet) addHistogram(base, suffix string, lbls model.Metric, v float64) {
	series := lbls.Clone()
	delete(series, model.MetricNameLabel)
	le := series[model.BucketLabel]
	delete(series, model.BucketLabel)
	key := base + series.String()
	h := f.hists[key]
	if h == nil {
		h = &dto.Histogram{}
		f.hists[key] = h
		mf := f.family(base, dto.MetricType_HISTOGRAM)
		mf.Metric = append(mf.Metric, &dto.Metric{Histogram: h})
	}
	switch suffix {
	case "_count":
		h.SampleCountFloat = &v
	case "_sum":
		h.SampleSum = &v
	default:
		bound, err := strconv.ParseFloat(string(le), 64)
		if err != nil || math.IsInf(bound, 1) {
			return
		}
		h.Bucket = append(h.Bucket, &dto.Bucket{UpperBound: &bound, CumulativeCountFloat: &v})
	}
}
