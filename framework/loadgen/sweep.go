package loadgen

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"
)

// probeDuration is the length of the sweep's probe stage (inference-perf's).
const probeDuration = 5 * time.Second

// sweep runs inference-perf's saturation probe and returns the stages to run:
// Sweep.NumRequests sent over 5 s, requests in flight sampled every 0.5 s
// until the probe ends or Sweep.Timeout passes; the rates at which the
// in-flight count fell are the server's burn-down rates, and their
// SaturationPercentile-th percentile is the saturation rate S. Stages then
// run from 1 to S (linear) or bunched near S (geometric), rounded to 0.01.
// The probe's requests are not part of the report.
func (e *engine) sweep(ctx context.Context) ([]Stage, error) {
	sw := e.o.Sweep
	probe := Stage{Rate: float64(sw.NumRequests) / probeDuration.Seconds(), Duration: probeDuration}
	st := e.newStage(-1, probe)
	st.planned = int64(sw.NumRequests)
	st.origin = max(e.clk.now(), 0) // at the start time, if one is set and still ahead
	e.stageNo.Store(-1)
	e.planned.Store(int64(e.o.LeadIn + probeDuration))

	type sample struct {
		at       time.Duration
		inFlight int64
	}
	var (
		mu      sync.Mutex
		samples []sample
	)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	start := e.clk.now()
	go func() {
		defer close(sampled)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			mu.Lock()
			samples = append(samples, sample{e.clk.now(), e.inFlight.Load()})
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	probeCtx, cancel := context.WithTimeout(ctx, sw.Timeout)
	err := e.runStage(probeCtx, st, probe)
	cancel()
	close(stop)
	<-sampled
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("load.sweep probe: %w", err)
	}
	var rates []float64
	for i := 1; i < len(samples); i++ {
		cur, prev := samples[i], samples[i-1]
		if cur.at >= start+sw.Timeout {
			break // not the drain after the timeout
		}
		if d := cur.inFlight - prev.inFlight; d < 0 {
			rates = append(rates, math.Abs(float64(d)/(cur.at-prev.at).Seconds()))
		}
	}
	if len(rates) <= 1 {
		return nil, fmt.Errorf("load.sweep: the probe gathered too few samples to find the saturation rate (%d burn-down intervals); raise load.sweep.num_requests or load.sweep.timeout", len(rates))
	}
	sat := percentileLinear(rates, sw.SaturationPercentile)
	return sweepStages(sat, sw), nil
}

// sweepStages spaces NumStages rates from 1 to sat as inference-perf does.
func sweepStages(sat float64, sw *Sweep) []Stage {
	n := sw.NumStages
	rates := make([]float64, n)
	for i := range n {
		f := 0.0
		if n > 1 {
			f = float64(i) / float64(n-1)
		}
		if sw.Type == "linear" {
			rates[i] = 1 + f*(sat-1)
		} else {
			// geomspace(sat, 1, n)[i] = sat^(1-f); rate = 1 + sat - that.
			rates[i] = 1 + sat - math.Pow(sat, 1-f)
		}
		rates[i] = math.Round(rates[i]*100) / 100
	}
	out := make([]Stage, 0, n)
	for _, r := range rates {
		if r <= 0 {
			continue
		}
		out = append(out, Stage{Rate: r, Duration: sw.StageDuration})
	}
	return out
}

// percentileLinear is numpy's default percentile: linear interpolation at rank p/100·(n-1).
func percentileLinear(v []float64, p float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	r := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(r))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (r-float64(lo))*(s[hi]-s[lo])
}
