package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/internal/stallserver"
)

// stallingTarget serves model "m" and holds every other completion until
// the client goes away.
func stallingTarget() string {
	GinkgoHelper()
	srv := httptest.NewServer(stallserver.Handler(2))
	DeferCleanup(srv.Close)
	return srv.URL
}

var _ = Describe("tailgate run's limits", func() {
	It("refuses a rate no single generator can approach before any load, pointing at shards", func(ctx SpecContext) {
		code, _, errOut := runRunCmd(ctx, "--scenario", "production", "--rate", "1e9", "--duration", "2s", "--progress", "0")
		Expect(code).To(Equal(2), errOut)
		Expect(errOut).To(ContainSubstring("rate"))
		Expect(errOut).To(ContainSubstring("at most 100000 req/s"))
		Expect(errOut).To(ContainSubstring("shards"))
	}, SpecTimeout(10*time.Second))

	It("refuses drain and request timeouts out of bounds, naming the setting", func(ctx SpecContext) {
		for _, args := range [][]string{
			{"--drain-timeout", "0s"}, {"--drain-timeout", "2h"}, {"--drain-timeout", "soon"},
			{"--request-timeout", "500ms"}, {"--request-timeout", "-1"},
		} {
			code, _, errOut := runRunCmd(ctx, append([]string{"--scenario", "production", "--progress", "0"}, args...)...)
			Expect(code).To(Equal(2), "%v: %s", args, errOut)
			Expect(errOut).To(ContainSubstring("want a duration from 1s to 1h"), "%v", args)
			Expect(errOut).To(ContainSubstring(args[0]+"="), "%v: names the flag that was given", args)
		}
	})

	It("bounds the drain after the last send, says what it waits for, and fails the run as partial", func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		cfg := filepath.Join(dir, "stall.yml")
		Expect(os.WriteFile(cfg, []byte(fmt.Sprintf(`api: {type: completion, streaming: true}
data: {type: mock}
load:
  type: constant
  stages: [{rate: 4, duration: 2}]
  request_timeout: 300
server: {type: vllm, model_name: m, base_url: %s, ignore_eos: true}
`, stallingTarget())), 0o644)).To(Succeed())
		code, out, errOut := runRunCmd(ctx, "--config", cfg, "--drain-timeout", "1s", "--progress", "200ms", "--report-dir", filepath.Join(dir, "r"))
		Expect(code).NotTo(BeZero(), "a partial run never passes: %s", errOut)
		Expect(errOut).To(MatchRegexp(`draining: waiting for \d+ requests in flight \(oldest [0-9.]+m?s\)`))
		Expect(errOut).To(ContainSubstring("after the last send were cut"))
		Expect(out).To(ContainSubstring(`failures "Drain Timeout": 4`))
	}, SpecTimeout(60*time.Second)) // unbounded, the run would wait out the 300 s request timeout
})
