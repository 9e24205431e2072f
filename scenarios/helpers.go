package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"time"
)

// Clone returns a deep copy of c: changing the copy's sections, stages or maps never
// changes c.
func (c Config) Clone() Config {
	var out Config
	deepCopy(reflect.ValueOf(&out).Elem(), reflect.ValueOf(c))
	return out
}

func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		v := reflect.New(src.Elem().Type()).Elem()
		deepCopy(v, src.Elem())
		dst.Set(v)
	case reflect.Struct:
		for i := range src.NumField() {
			if src.Type().Field(i).IsExported() {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			deepCopy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			v := reflect.New(it.Value().Type()).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(it.Key(), v)
		}
		dst.Set(m)
	default:
		dst.Set(src)
	}
}

// Workers is the number of worker processes inference-perf would start: NumWorkers, or
// the CPU count of this host when it is unset (inference-perf counts the host's CPUs,
// not a container's limit, so in a pod set num_workers explicitly).
func (l LoadConfig) Workers() int {
	if l.NumWorkers > 0 {
		return l.NumWorkers
	}
	return max(1, runtime.NumCPU())
}

// MaxInFlight is the most requests the generator can have open at once for constant,
// poisson and trace_replay load: workers × worker_max_concurrency.
func (l LoadConfig) MaxInFlight() int { return l.Workers() * l.WorkerMaxConcurrency }

// EffectiveStdDev is the standard deviation lengths are drawn with: sqrt(variance) when a
// variance is given, else StdDev.
func (d Distribution) EffectiveStdDev() float64 {
	if d.Variance != nil {
		return math.Sqrt(*d.Variance)
	}
	return d.StdDev
}

// IgnoresEOS reports whether requests ask the server to ignore EOS (nil means true).
func (s ServerConfig) IgnoresEOS() bool { return s.IgnoreEOS == nil || *s.IgnoreEOS }

// Requests is how many requests inference-perf schedules for this stage under load type
// t: int(rate × duration) for constant, poisson and trace_replay (Python's truncation),
// num_requests for concurrent, and 0 when only the run knows (trace_session_replay).
func (s Stage) Requests(t LoadType) int {
	switch t {
	case LoadConcurrent:
		return s.NumRequests
	case LoadTraceSessionReplay:
		return 0
	}
	return int(s.Rate * float64(s.Duration))
}

// SendDuration is how long the stage's schedule lasts: Duration for constant, poisson
// and trace_replay stages; 0 for concurrent stages (scheduled all at once) and session
// stages.
func (s Stage) SendDuration(t LoadType) time.Duration {
	switch t {
	case LoadConcurrent, LoadTraceSessionReplay:
		return 0
	}
	return time.Duration(s.Duration) * time.Second
}

// TotalRequests is the number of requests the fixed stages schedule in all. known is
// false when the count is decided during the run (a sweep generates its stages after
// probing; trace_session_replay counts sessions).
func (c Config) TotalRequests() (n int, known bool) {
	if c.Load.Sweep != nil || c.Load.Type == LoadTraceSessionReplay {
		return 0, false
	}
	for _, s := range c.Load.Stages {
		n += s.Requests(c.Load.Type)
	}
	return n, true
}

// PlannedDuration is how long the schedule lasts, from the first stage's start to the
// last stage's end: stage send durations plus the interval after each stage, plus (for a
// sweep) the probe's timeout and the generated stages. Requests still in flight at the
// end add to it; use it to size timeouts, with a margin.
func (c Config) PlannedDuration() time.Duration {
	interval := time.Duration(c.Load.Interval * float64(time.Second))
	var d time.Duration
	for _, s := range c.Load.Stages {
		d += s.SendDuration(c.Load.Type) + interval
	}
	if sw := c.Load.Sweep; sw != nil {
		d += time.Duration(sw.Timeout*float64(time.Second)) + interval
		d += time.Duration(sw.NumStages) * (time.Duration(sw.StageDuration)*time.Second + interval)
	}
	return d
}

// WithDuration returns a copy of c whose every rate-based stage (and every stage a sweep
// generates) lasts d, rounded up to whole seconds since inference-perf durations are
// integers. Concurrent and session stages have no duration and are left as they are.
// Use it for TAILGATE_DURATION; a d of 0 or less gives stages that fail Validate.
func (c Config) WithDuration(d time.Duration) Config {
	c = c.Clone()
	secs := 0
	if d > 0 {
		secs = int(math.Ceil(d.Seconds()))
	}
	if c.Load.Type == LoadConcurrent || c.Load.Type == LoadTraceSessionReplay {
		return c
	}
	for i := range c.Load.Stages {
		c.Load.Stages[i].Duration = secs
	}
	if c.Load.Sweep != nil {
		c.Load.Sweep.StageDuration = secs
	}
	return c
}

// WithRate returns a copy of c whose every rate-based stage runs at r requests per
// second. A sweep is replaced by one stage at rate r lasting the sweep's stage duration,
// since a fixed rate and a saturation search exclude each other. Concurrent and session
// stages are left as they are. Use it for TAILGATE_RATE.
func (c Config) WithRate(r float64) Config {
	c = c.Clone()
	if c.Load.Type == LoadConcurrent || c.Load.Type == LoadTraceSessionReplay {
		return c
	}
	for i := range c.Load.Stages {
		c.Load.Stages[i].Rate = r
	}
	if sw := c.Load.Sweep; sw != nil {
		if len(c.Load.Stages) == 0 {
			c.Load.Stages = []Stage{{Rate: r, Duration: sw.StageDuration}}
		}
		c.Load.Sweep = nil
	}
	return c
}

// WithTarget returns a copy of c aimed at another server: base URL and model name (an
// empty model lets inference-perf ask the server's /v1/models). The server section is
// created with its defaults when c has none.
func (c Config) WithTarget(baseURL, model string) Config {
	c = c.Clone()
	if c.Server == nil {
		c.Server = defaultsFor[ServerConfig]()
	}
	c.Server.BaseURL = baseURL
	c.Server.ModelName = model
	return c
}

// Summary is a one-line description of what the scenario sends, for logs, JUnit and
// reports (secrets are never part of it), e.g. "production: poisson, 1 stage: 15 req/s
// × 600s (9000 requests); synthetic prompts normal(1024, sd 512) in [128, 4096] tokens,
// outputs normal(512, sd 256) in [50, 2048]; completion API, streaming; 8 workers;
// target vllm qwen3-8b at http://qwen3-vllm.default:8000".
func (c Config) Summary() string {
	var b strings.Builder
	if c.Name != "" {
		b.WriteString(c.Name + ": ")
	}
	b.WriteString(c.LoadSummary())
	fmt.Fprintf(&b, "; %s prompts", c.Data.Type)
	if d := c.Data.InputDistribution; d != nil {
		fmt.Fprintf(&b, " %s in [%d, %d] tokens", describeDist(*d), d.Min, d.Max)
	}
	if d := c.Data.OutputDistribution; d != nil {
		fmt.Fprintf(&b, ", outputs %s in [%d, %d]", describeDist(*d), d.Min, d.Max)
	}
	fmt.Fprintf(&b, "; %s API", c.API.Type)
	if c.API.Streaming {
		b.WriteString(", streaming")
	} else {
		b.WriteString(", not streaming (no TTFT, ITL or TPOT)")
	}
	if c.Load.NumWorkers > 0 {
		fmt.Fprintf(&b, "; %d workers", c.Load.NumWorkers)
	} else {
		b.WriteString("; one worker per CPU")
	}
	if s := c.Server; s != nil {
		model := s.ModelName
		if model == "" {
			model = "(model from /v1/models)"
		}
		fmt.Fprintf(&b, "; target %s %s at %s", s.Type, model, RedactURL(s.BaseURL))
	}
	return b.String()
}

// LoadSummary is the load part of Summary: the load type and its stages or
// sweep, e.g. "poisson, 1 stage: 15 req/s × 600s (9000 requests)".
func (c Config) LoadSummary() string {
	var b strings.Builder
	l := c.Load
	b.WriteString(string(l.Type))
	switch {
	case l.Sweep != nil:
		fmt.Fprintf(&b, ", %s sweep: %d stages × %ds after a %d-request probe", l.Sweep.Type, l.Sweep.NumStages, l.Sweep.StageDuration, l.Sweep.NumRequests)
	default:
		fmt.Fprintf(&b, ", %d stage%s: ", len(l.Stages), plural(len(l.Stages)))
		parts := make([]string, len(l.Stages))
		for i, s := range l.Stages {
			switch l.Type {
			case LoadConcurrent:
				parts[i] = fmt.Sprintf("%d requests at concurrency %d", s.NumRequests, s.ConcurrencyLevel)
			case LoadTraceSessionReplay:
				parts[i] = "sessions"
				if s.ConcurrentSessions != nil {
					parts[i] = fmt.Sprintf("%d concurrent sessions", *s.ConcurrentSessions)
				}
			default:
				parts[i] = fmt.Sprintf("%g req/s × %ds", s.Rate, s.Duration)
			}
		}
		b.WriteString(strings.Join(parts, ", "))
		if n, ok := c.TotalRequests(); ok {
			fmt.Fprintf(&b, " (%d requests)", n)
		}
	}
	return b.String()
}

func describeDist(d Distribution) string {
	if d.Type == DistFixed || (d.Type == DistNormal && d.EffectiveStdDev() == 0) {
		return fmt.Sprintf("fixed %g", d.Mean)
	}
	return fmt.Sprintf("%s(%g, sd %g)", d.Type, d.Mean, d.EffectiveStdDev())
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
