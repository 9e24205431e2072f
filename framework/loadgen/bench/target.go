package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
)

// Server timing of the bench's fixed profile: short, so the number of
// requests in flight (and the server's share of two cores) stays small.
const (
	ServerTTFT = 10 * time.Millisecond
	ServerITL  = time.Millisecond
	// TruthCapacity is how many records the server must keep for section 2.
	TruthCapacity = 20000
)

// StartInProcess starts the simulated vLLM in this process with the bench's
// fixed profile and returns it as a Target, with a function that stops it.
func StartInProcess(ctx context.Context) (Target, func() error, error) {
	p := mockvllm.FixedProfile(ServerTTFT, ServerITL)
	srv, err := mockvllm.Start(ctx, mockvllm.Options{Model: "qwen3-8b", CustomProfile: &p, TruthCapacity: TruthCapacity, RecordTokenWrites: true, Seed: 1})
	if err != nil {
		return Target{}, nil, fmt.Errorf("start the simulated vLLM: %w", err)
	}
	t := Target{URL: srv.URL(), Model: "qwen3-8b", SameProcess: true,
		Truth: func(_ context.Context, id string) (mockvllm.RequestTruth, bool, error) {
			tr, ok := srv.Truth(id)
			return tr, ok, nil
		}}
	return t, srv.Close, nil
}

// HTTPTruth reads ground truth from a server's GET /debug/requests/{id}.
func HTTPTruth(baseURL string) func(ctx context.Context, id string) (mockvllm.RequestTruth, bool, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	return func(ctx context.Context, id string) (mockvllm.RequestTruth, bool, error) {
		var t mockvllm.RequestTruth
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/debug/requests/"+url.PathEscape(id), nil)
		if err != nil {
			return t, false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return t, false, err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return t, false, nil
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return t, false, fmt.Errorf("GET /debug/requests/%s: %s: %s", id, resp.Status, b)
		}
		if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
			return t, false, fmt.Errorf("GET /debug/requests/%s: %w", id, err)
		}
		return t, true, nil
	}
}
