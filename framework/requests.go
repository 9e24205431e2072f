package framework

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/report"
)

// PerRequestFile is the name inference-perf gives its per-request report.
const PerRequestFile = "per_request_lifecycle_metrics.json"

type requestJSON struct {
	RequestID     string         `json:"request_id"`
	StageID       int            `json:"stage_id"`
	ScheduledTime float64        `json:"scheduled_time"`
	StartTime     float64        `json:"start_time"`
	EndTime       float64        `json:"end_time"`
	Info          requestInfo    `json:"info"`
	Error         *requestErrorJ `json:"error"`
}

type requestInfo struct {
	InputTokens    int          `json:"input_tokens"`
	MaxTokens      int          `json:"max_tokens"`
	OutputChunks   int          `json:"output_chunks"`
	FirstTokenTime *float64     `json:"first_token_time,omitempty"`
	LastTokenTime  *float64     `json:"last_token_time,omitempty"`
	ServerUsage    *serverUsage `json:"server_usage,omitempty"`
}

type serverUsage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
}

type requestErrorJ struct {
	ErrorType string `json:"error_type"`
	ErrorMsg  string `json:"error_msg"`
}

// RequestsFile renders per-request records as
// per_request_lifecycle_metrics.json, shaped like inference-perf's per-request
// report (times in seconds on the run's monotonic clock) plus the scheduled
// send time and the request id the server saw in X-Request-Id.
func RequestsFile(recs []loadgen.RequestRecord) report.File {
	return report.File{Name: PerRequestFile, Write: func(out io.Writer) error { return writeRequests(out, recs) }}
}

func writeRequests(out io.Writer, recs []loadgen.RequestRecord) error {
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	_, _ = w.WriteString("[\n")
	for i, r := range recs {
		if i > 0 {
			_, _ = w.WriteString(",")
		}
		if err := enc.Encode(requestOf(r)); err != nil {
			return fmt.Errorf("per-request report: %w", err)
		}
	}
	_, _ = w.WriteString("]\n")
	return w.Flush()
}

func requestOf(r loadgen.RequestRecord) requestJSON {
	j := requestJSON{
		RequestID: r.ID, StageID: r.Stage,
		ScheduledTime: r.Scheduled.Seconds(), StartTime: r.Start.Seconds(), EndTime: r.End.Seconds(),
		Info: requestInfo{InputTokens: r.InputLength, MaxTokens: r.MaxTokens, OutputChunks: r.Chunks},
	}
	if r.Chunks > 0 {
		ft, lt := r.FirstToken.Seconds(), r.LastToken.Seconds()
		j.Info.FirstTokenTime, j.Info.LastTokenTime = &ft, &lt
	}
	if r.PromptTokens > 0 || r.OutputTokens > 0 {
		j.Info.ServerUsage = &serverUsage{PromptTokens: r.PromptTokens, CompletionTokens: r.OutputTokens}
	}
	if r.Label != "" {
		j.Error = &requestErrorJ{ErrorType: r.Label, ErrorMsg: r.Error}
	}
	return j
}
