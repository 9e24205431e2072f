package report

import (
	"errors"
	"fmt"
	"math"
)

// FixedStreamingImage is the first inference-perf release that timestamps
// streamed responses once per server-sent event rather than once per line.
const FixedStreamingImage = "quay.io/inference-perf/inference-perf:v0.3.0"

// ErrLineStamped marks a figure a report cannot give because the inference-perf
// release that wrote it timestamped every line of the SSE stream (see
// LineStamping). Distributions wrap it in the error of Percentile.
var ErrLineStamped = errors.New("inference-perf before v0.3.0 timestamped every line of the SSE stream")

// LineStamping describes the streaming defect of inference-perf before v0.3.0,
// as detected in one stage of its report. Those releases record a timestamp for
// every line of the SSE body, the blank line that ends each event included: a
// request streaming E events (and the final [DONE]) gets 2E+2 stamps, about half
// of its ITL gaps are ~0, and its TPOT, (last stamp − first stamp)/(stamps − 1),
// is the span over 2E+1 instead of over E, about half the real value.
type LineStamping struct {
	// Events is E, the events each request streamed, inferred from the report.
	Events int
	// Factor is (2E+1)/E: the corrected TPOT is the file's TPOT times Factor,
	// the value inference-perf v0.3.0 would have reported for the same streams.
	Factor float64
	// Uniform is true when every request streamed the same number of lines
	// (the file's ITL mean equals its TPOT mean), so each TPOT percentile scales
	// by Factor exactly. Otherwise TPOT cannot be corrected either.
	Uniform bool
	// ITLMedian and ITLMean are the file's figures that show the zero gaps.
	ITLMedian, ITLMean float64
}

// DetectLineStamping looks for the per-line timestamp defect in a stage read
// from an inference-perf report. All of these must hold: the report is of the
// <=v0.4 schema generation (releases up to v0.4; the defect was fixed in
// v0.3.0); the ITL median is under a tenth of the ITL mean (the mass of ~0
// gaps); and (request latency − TTFT)/TPOT, the stamps per request minus one,
// is about twice the output length, not about equal to it.
func DetectLineStamping(st Stage) (LineStamping, bool) {
	var ls LineStamping
	if st.Schema != SchemaV04 {
		return ls, false
	}
	lat, ok1 := fileStats(st, RequestLatency)
	ttft, ok2 := fileStats(st, TTFT)
	tpot, ok3 := fileStats(st, TPOT)
	itl, ok4 := fileStats(st, ITL)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return ls, false
	}
	med, ok := itl.Points[50]
	if !ok || !(itl.MeanV > 0) || !(med < itl.MeanV/10) {
		return ls, false
	}
	tokens := outputLength(st)
	span := lat.MeanV - ttft.MeanV
	if !(tokens > 1) || !(tpot.MeanV > 0) || !(span > 0) {
		return ls, false
	}
	gaps := span / tpot.MeanV // stamps per request minus one: 2E+1 when line-stamped
	if gaps < 1.5*(tokens-1) {
		return ls, false
	}
	ls.Events = max(int(math.Round((gaps-1)/2)), 1)
	ls.Factor = float64(2*ls.Events+1) / float64(ls.Events)
	ls.Uniform = math.Abs(itl.MeanV-tpot.MeanV) <= 1e-3*tpot.MeanV
	ls.ITLMedian, ls.ITLMean = med, itl.MeanV
	return ls, true
}

// fileStats returns m's distribution when it was read from a report file.
func fileStats(st Stage, m Metric) (*Stats, bool) {
	d, ok := st.Distribution(m)
	if !ok {
		return nil, false
	}
	s, ok := d.(*Stats)
	return s, ok
}

// outputLength is the mean output length per request, in tokens; 0 when unknown.
func outputLength(st Stage) float64 {
	for _, m := range []Metric{OutputTokens, OutputLen} {
		if d, ok := st.Distribution(m); ok && d.Mean() > 0 {
			return d.Mean()
		}
	}
	return 0
}

// correctGenerations applies what is known about the release that wrote each
// stage: for the per-line timestamps of inference-perf before v0.3.0 it
// corrects TPOT and makes ITL percentiles refuse (see CorrectLineStamping).
func correctGenerations(r *Report) {
	r.Summary = CorrectLineStamping(r.Summary)
	for i := range r.Stages {
		r.Stages[i] = CorrectLineStamping(r.Stages[i])
	}
}

// CorrectLineStamping returns st with the per-line timestamp defect corrected
// where it is detected (DetectLineStamping): TPOT scaled to the per-event value
// when every request streamed the same number of lines (otherwise refusing,
// like ITL), and ITL refusing every percentile, since per-event gaps cannot be
// recovered from a report. TTFT and request latency are left as they are: the
// first stamp and the end of the response are not affected. A stage without
// the defect is returned unchanged.
func CorrectLineStamping(st Stage) Stage {
	ls, ok := DetectLineStamping(st)
	if !ok {
		return st
	}
	dists := make(map[Metric]Distribution, len(st.Distributions))
	for m, d := range st.Distributions {
		dists[m] = d
	}
	itl, _ := fileStats(st, ITL)
	tpot, _ := fileStats(st, TPOT)
	itlMean := math.NaN()
	if ls.Uniform {
		itlMean = itl.MeanV * ls.Factor
	}
	dists[ITL] = &refusedStats{n: itl.N, mean: itlMean, err: ls.itlError()}
	if ls.Uniform {
		dists[TPOT] = &CorrectedStats{Stats: scaleStats(tpot, ls.Factor), Correction: ls.tpotNote()}
	} else {
		dists[TPOT] = &refusedStats{n: tpot.N, mean: math.NaN(), err: ls.tpotError(itl.MeanV, tpot.MeanV)}
	}
	st.Distributions = dists
	return st
}

func (ls LineStamping) tpotNote() string {
	return fmt.Sprintf("TPOT corrected ×%.4g: inference-perf before v0.3.0 divided each request's streaming time by its %d SSE lines minus one instead of by its %d events",
		ls.Factor, 2*ls.Events+2, ls.Events)
}

func (ls LineStamping) itlError() error {
	return fmt.Errorf("%w, the blank line after each event included, so about half of its ITL samples are ~0 (median %s against a mean of %s) and no ITL percentile of this report means anything; per-event gaps cannot be recovered from the file. Rerun with %s or newer (TAILGATE_INFERENCE_PERF_IMAGE) to judge ITL; TPOT is corrected, TTFT and request latency are unaffected",
		ErrLineStamped, FormatSeconds(ls.ITLMedian), FormatSeconds(ls.ITLMean), FixedStreamingImage)
}

func (ls LineStamping) tpotError(itlMean, tpotMean float64) error {
	return fmt.Errorf("%w, and its requests streamed different numbers of lines (ITL mean %s, TPOT mean %s), so the TPOT percentiles cannot be rescaled exactly; rerun with %s or newer (TAILGATE_INFERENCE_PERF_IMAGE) to judge TPOT",
		ErrLineStamped, FormatSeconds(itlMean), FormatSeconds(tpotMean), FixedStreamingImage)
}

// scaleStats returns a copy of s with every value multiplied by f.
func scaleStats(s *Stats, f float64) *Stats {
	out := &Stats{N: s.N, MeanV: s.MeanV * f, MinV: s.MinV * f, MaxV: s.MaxV * f, Points: make(map[float64]float64, len(s.Points))}
	for p, v := range s.Points {
		out.Points[p] = v * f
	}
	return out
}

// CorrectedStats is a report file's distribution corrected for a known defect
// of the release that wrote it; Correction says what was changed and why.
type CorrectedStats struct {
	*Stats
	// Correction explains the correction in one sentence.
	Correction string
}

// refusedStats is a distribution whose percentiles a report cannot give: every
// Percentile call returns err. Its count and (corrected) mean stay known.
type refusedStats struct {
	n    int64
	mean float64
	err  error
}

func (r *refusedStats) Count() int64  { return r.n }
func (r *refusedStats) Mean() float64 { return r.mean }
func (r *refusedStats) Min() float64  { return math.NaN() }
func (r *refusedStats) Max() float64  { return math.NaN() }

// Exact is empty (not nil, which would mean "any"): no percentile can be given.
func (r *refusedStats) Exact() []float64 { return []float64{} }

func (r *refusedStats) Percentile(float64) (float64, error) { return 0, r.err }

// Corrections lists, one line per stage, the corrections CorrectLineStamping
// applied to r and the figures it refuses, for summaries and CLI output.
func Corrections(r *Report) []string {
	var out []string
	for _, st := range r.all() {
		for _, m := range []Metric{TPOT, ITL} {
			d, ok := st.Distribution(m)
			if !ok {
				continue
			}
			switch v := d.(type) {
			case *CorrectedStats:
				out = append(out, st.Name()+": "+v.Correction)
			case *refusedStats:
				out = append(out, fmt.Sprintf("%s: %s percentiles refused: %v", st.Name(), m, v.err))
			}
		}
	}
	return out
}
