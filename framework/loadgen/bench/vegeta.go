package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// vegetaBody is the request the engine sends for a 16-token prompt and a
// 16-token non-streamed completion (the same bytes the engine renders).
func vegetaBody(model string) []byte {
	b := []byte(`{"model":` + strconv.Quote(model) + `,"prompt":"`)
	for range 16 {
		b = append(b, "tok "...)
	}
	return append(b, `","max_tokens":16,"ignore_eos":true,"stream":false}`...)
}

// vegetaLag is the schedule lag of one vegeta hit: its send time minus the
// time vegeta's constant pacer planned for it. The pacer releases hit k at
// (k+1)·interval after the attack began, with interval = 1 s / rate in whole
// nanoseconds; began is read just before Attack, which reads its own a few
// hundred nanoseconds later.
func vegetaLag(began, sent time.Time, seq uint64, rate int) time.Duration {
	interval := time.Second / time.Duration(rate)
	return sent.Sub(began.Add(time.Duration(seq+1) * interval))
}

// vegetaStep attacks the non-streaming endpoint at rate for the step duration.
func vegetaStep(ctx context.Context, cfg Config, rate float64) (Step, Pct, error) {
	tgt := vegeta.Target{Method: http.MethodPost, URL: cfg.Target.URL + "/v1/completions",
		Body: vegetaBody(cfg.Target.Model), Header: http.Header{"Content-Type": []string{"application/json"}}}
	atk := vegeta.NewAttacker(vegeta.Timeout(60*time.Second), vegeta.KeepAlive(true), vegeta.Connections(40000))
	pacer := vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}
	n := int(rate * cfg.StepDuration.Seconds())
	// vegeta's duration bound is exclusive of the hit at exactly du; stop on the count instead.
	du := time.Duration(float64(n)/rate*float64(time.Second)) + time.Nanosecond
	before := cpuTime()
	began := time.Now()
	var lags, lats []time.Duration
	var first, last time.Time
	var fails int64
	for r := range atk.Attack(vegeta.NewStaticTargeter(tgt), pacer, du, "bench") {
		if ctx.Err() != nil {
			atk.Stop()
		}
		lags = append(lags, vegetaLag(began, r.Timestamp, r.Seq, int(rate)))
		lats = append(lats, r.Latency)
		if first.IsZero() || r.Timestamp.Before(first) {
			first = r.Timestamp
		}
		if r.Timestamp.After(last) {
			last = r.Timestamp
		}
		if r.Code != http.StatusOK || r.Error != "" {
			fails++
		}
	}
	cpu := cpuTime() - before
	if err := ctx.Err(); err != nil {
		return Step{}, Pct{}, err
	}
	if len(lags) == 0 {
		return Step{}, Pct{}, fmt.Errorf("vegeta sent nothing at %g req/s", rate)
	}
	s := Step{Rate: rate, Drawn: rate, Requests: int64(len(lags)), Failures: fails, CPU: cpu, Lag: percentiles(lags)}
	if span := last.Sub(first); span > 0 && len(lags) > 1 {
		// the same definition as the engine's achieved rate: sends over the send span.
		s.Achieved = float64(len(lags)) / span.Seconds()
	}
	s.OK = Passes(rate, s.Achieved, s.Lag.P99, fails)
	return s, percentiles(lats), nil
}

func vegetaLadder(ctx context.Context, cfg Config) (Capacity, []Pct, error) {
	var lat []Pct
	c, err := ladder(ctx, cfg.CapacityRates, func(rate float64) (Step, error) {
		s, l, err := vegetaStep(ctx, cfg, rate)
		lat = append(lat, l)
		return s, err
	})
	return c, lat, err
}
