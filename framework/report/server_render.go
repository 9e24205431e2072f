package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Thresholds of the client/server TTFT cross-check: the client's median
// must exceed the server's by more than both before the summary says so.
const (
	crossCheckMinGap   = 0.020 // seconds
	crossCheckMinShare = 0.25  // of the client's median
)

// ServerState describes the server over the stage in one line, e.g.
// "server (scrape, 1 series): TTFT p99 ≈ 1.1s, up to 8 waiting, mean 6.1
// waiting, up to 4 running, KV cache up to 3.2%, 0 preemptions"; empty
// without server metrics.
func (s Stage) ServerState() string {
	m := s.Server
	if m == nil || len(m.Figures) == 0 {
		return ""
	}
	source := m.Source
	if m.Series > 0 {
		source += fmt.Sprintf(", %d series", m.Series)
	}
	return fmt.Sprintf("server (%s): %s", source, serverParts(m))
}

// ServerWorst describes the interval where the server's TTFT p99 was
// highest, as "worst 10s at t=<offset> (server): TTFT p99 ≈ <value>, up to
// <n> waiting, …"; empty when not known.
func (s Stage) ServerWorst() string {
	if s.Server == nil || s.Server.Worst == nil || s.Server.Worst.Metrics == nil {
		return ""
	}
	w := s.Server.Worst
	return fmt.Sprintf("worst %s at t=%s (server): %s", w.Width.Round(time.Millisecond), w.Offset.Round(time.Second/10), serverParts(w.Metrics))
}

// serverParts lists the TTFT p99, the waiting and running peaks, the
// KV-cache peak and the preemptions of m, those it has.
func serverParts(m *ServerMetrics) string {
	var parts []string
	if v, ok := m.Get(ServerTTFT, "p99"); ok {
		parts = append(parts, "TTFT p99 ≈ "+FormatSeconds(v))
	}
	add := func(format string, figure, stat string, scale float64) {
		if v, ok := m.Get(figure, stat); ok {
			parts = append(parts, fmt.Sprintf(format, trimFloat(v*scale, 3)))
		}
	}
	add("up to %s waiting", ServerWaiting, "max", 1)
	add("mean %s waiting", ServerWaiting, "mean", 1)
	add("up to %s running", ServerRunning, "max", 1)
	add("KV cache up to %s%%", ServerKVCacheUsage, "max", 100)
	add("%s preemptions", ServerPreemptions, "total", 1)
	return strings.Join(parts, ", ")
}

// TTFTCrossCheck compares the client's TTFT median with the server's. When
// the client's exceeds the server's by more than 20 ms and a quarter of the
// client's, it says where the time goes: before the server's engine
// (generator CPU, network, gateway, the API server's frontend), not in the
// model server's scheduling. It returns "" otherwise or without both figures.
// The server's median is interpolated within histogram buckets.
func (s Stage) TTFTCrossCheck() string {
	server, ok := s.Server.Get(ServerTTFT, "median")
	if !ok {
		return ""
	}
	d, ok := s.Distribution(TTFT)
	if !ok {
		return ""
	}
	client, err := d.Percentile(50)
	if err != nil || math.IsNaN(client) {
		return ""
	}
	gap := client - server
	if gap <= crossCheckMinGap || gap <= crossCheckMinShare*client {
		return ""
	}
	return fmt.Sprintf("TTFT median: client %s, server ≈ %s (from histogram buckets): %s of each first token is spent before the server's engine (load generator, network, gateway, API frontend); do not blame the model server's scheduling for it",
		FormatSeconds(client), FormatSeconds(server), FormatSeconds(gap))
}

// writeServerLines writes the server state of each stage and the summary's
// cross-check, one line each, when the report has server metrics.
func (r *Report) writeServerLines(w io.Writer, prefix string) {
	for _, s := range r.all() {
		if line := s.ServerState(); line != "" {
			fmt.Fprintf(w, "%s%s %s\n", prefix, s.Name(), line)
		}
		if line := s.ServerWorst(); line != "" {
			fmt.Fprintf(w, "%s%s %s\n", prefix, s.Name(), line)
		}
	}
	if c := r.Summary.TTFTCrossCheck(); c != "" {
		fmt.Fprintf(w, "%s%s\n", prefix, c)
	}
}
