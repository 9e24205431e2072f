package loadgen_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/internal/stallserver"
)

// stallingServer holds every third request until the client goes away.
func stallingServer() string {
	GinkgoHelper()
	srv := httptest.NewServer(stallserver.Handler(3))
	DeferCleanup(srv.Close)
	return srv.URL
}

var _ = Describe("the drain after the last send", func() {
	It("is bounded: requests still in flight are cut, counted as failures, and the run is partial", func(ctx SpecContext) {
		o := mockOptions(stallingServer())
		o.Load = loadgen.LoadUniform
		o.Stages = []loadgen.Stage{{Rate: 20, Duration: 600 * time.Millisecond}}
		o.RequestTimeout = 5 * time.Minute
		o.DrainTimeout = 500 * time.Millisecond
		var mu sync.Mutex
		var draining []loadgen.Progress
		o.ProgressEvery = time.Hour // only the report at the drain's start
		o.Progress = func(p loadgen.Progress) {
			mu.Lock()
			defer mu.Unlock()
			if p.Draining {
				draining = append(draining, p)
			}
		}
		res, err := loadgen.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		r := res.Report
		s := r.Summary
		Expect(s.Requests).To(BeEquivalentTo(12))
		Expect(s.FailuresByLabel).To(HaveLen(1))
		Expect(s.FailuresByLabel).To(HaveKey(loadgen.LabelDrainTimeout))
		Expect(s.FailuresByLabel[loadgen.LabelDrainTimeout].Count).To(BeEquivalentTo(4))
		Expect(s.Successes).To(BeEquivalentTo(8))
		Expect(r.Partial).To(BeTrue())
		Expect(r.PartialReason).To(ContainSubstring("still in flight 500ms after the last send were cut"))
		Expect(r.PartialReason).To(ContainSubstring("--drain-timeout"))
		Expect(r.Stages[0].Partial).To(BeTrue())

		mu.Lock()
		defer mu.Unlock()
		Expect(draining).NotTo(BeEmpty(), "the drain says what it waits for")
		p := draining[0]
		Expect(p.InFlight).To(BeNumerically("~", 4, 1), "the stalled requests (the last may not have started)")
		Expect(p.OldestInFlight).To(BeNumerically(">", 0))
		Expect(p.DrainLeft).To(BeNumerically("<=", 500*time.Millisecond))
		Expect(p.String()).To(MatchRegexp(`draining: waiting for [34] requests in flight \(oldest [0-9.]+m?s\), cut in`))
	}, SpecTimeout(30*time.Second)) // without the bound the run waits the 5-minute request timeout

	It("ends as soon as the last request finishes, without waiting the drain timeout out", func(ctx SpecContext) {
		o := mockOptions(fixedLengthServer(30, 30))
		o.Stages = []loadgen.Stage{{Rate: 20, Duration: 500 * time.Millisecond}}
		o.DrainTimeout = time.Hour
		res, err := loadgen.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Report.Partial).To(BeFalse())
		Expect(res.Report.Summary.Successes).To(BeEquivalentTo(10))
	}, SpecTimeout(20*time.Second))

	It("does not cut the sweep's probe, which its own timeout bounds", func(ctx SpecContext) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(800 * time.Millisecond) // longer than the drain timeout below
			w.Header().Set("Content-Type", "text/event-stream")
			for range 30 {
				fmt.Fprint(w, "data: {\"choices\":[{\"text\":\"t\"}]}\n\n")
			}
			fmt.Fprint(w, "data: [DONE]\n\n")
		}))
		DeferCleanup(srv.Close)
		o := mockOptions(srv.URL)
		o.Stages = nil
		o.Sweep = &loadgen.Sweep{Type: "linear", NumRequests: 20, Timeout: 10 * time.Second, NumStages: 1, StageDuration: time.Second, SaturationPercentile: 95}
		o.DrainTimeout = 100 * time.Millisecond
		var failedByStage0 atomic.Int64 // failures before the first stage: the probe's
		failedByStage0.Store(-1)
		o.ProgressEvery = 50 * time.Millisecond
		o.Progress = func(p loadgen.Progress) {
			if p.Stage == 0 {
				failedByStage0.CompareAndSwap(-1, p.Failed)
			}
		}
		_, err := loadgen.Run(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		Expect(failedByStage0.Load()).To(BeZero(), "probe requests were cut")
	}, SpecTimeout(40*time.Second))
})
