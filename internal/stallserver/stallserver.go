// Package stallserver is an OpenAI-compatible handler that stalls: tests use
// it as the independent server that holds some requests forever.
package stallserver

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// Handler answers GET /v1/models with the one model "m" and every completion
// with a stream of 30 one-token chunks and usage, except every every-th,
// which it holds until the client goes away.
func Handler(every int64) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			fmt.Fprint(w, `{"object":"list","data":[{"id":"m"}]}`)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body) // net/http notices a client leaving only once the body is read
		if n.Add(1)%every == 0 {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for range 30 {
			fmt.Fprint(w, "data: {\"choices\":[{\"text\":\"t\"}]}\n\n")
		}
		fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":30}}\n\ndata: [DONE]\n\n")
	})
}
