package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/report"
)

// runRunCmd runs "tailgate run ARGS..." and returns exit code, stdout and stderr.
func runRunCmd(ctx context.Context, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := dispatch(ctx, append([]string{"run"}, args...), stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

// smallConfig writes an inference-perf config for a few seconds of streamed
// completions against url.
func smallConfig(dir, url string, rate float64, seconds int) string {
	p := filepath.Join(dir, "config.yml")
	Expect(os.WriteFile(p, []byte(fmt.Sprintf(`api: {type: completion, streaming: true}
data:
  type: synthetic
  input_distribution: {min: 16, max: 256, mean: 64, std_dev: 32}
  output_distribution: {min: 4, max: 64, mean: 16, std_dev: 8}
load:
  type: poisson
  num_workers: 2
  stages: [{rate: %g, duration: %d}]
server: {type: vllm, model_name: m, base_url: %s, ignore_eos: true}
tokenizer: {pretrained_model_name_or_path: Qwen/Qwen3-8B}
`, rate, seconds, url)), 0o644)).To(Succeed())
	return p
}

func writeSLA(dir, body string) string {
	p := filepath.Join(dir, "sla.yaml")
	Expect(os.WriteFile(p, []byte(body), 0o644)).To(Succeed())
	return p
}

var _ = Describe("tailgate run", func() {
	var dir, url string
	var sim *mockvllm.Server

	BeforeEach(func(ctx SpecContext) {
		dir = GinkgoT().TempDir()
		prof := mockvllm.FixedProfile(20*time.Millisecond, 2*time.Millisecond)
		var err error
		sim, err = mockvllm.Start(context.WithoutCancel(ctx), mockvllm.Options{Model: "m", CustomProfile: &prof})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(sim.Close)
		url = sim.URL()
	})

	It("exits 0 when every promise holds and leaves the report files", func(ctx SpecContext) {
		sla := writeSLA(dir, "latency:\n  ttft: {p50: 2s}\nerror_rate: 1%\n")
		code, out, errOut := runRunCmd(ctx, "--config", smallConfig(dir, url, 20, 2), "--sla", sla, "--report-dir", filepath.Join(dir, "r"), "--progress", "0")
		Expect(code).To(Equal(0), out+errOut)
		Expect(out).To(ContainSubstring("PASS  load delivered"))
		Expect(out).To(ContainSubstring("PASS  TTFT p50 < 2s"))
		Expect(out).To(ContainSubstring("PASS: all 4 promises hold"))
		rep, err := report.ReadDir(filepath.Join(dir, "r"))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Summary.Requests).To(BeEquivalentTo(40))
	}, SpecTimeout(60*time.Second))

	It("exits 1 and prints the breach with the measured value when a promise breaks", func(ctx SpecContext) {
		sla := writeSLA(dir, "latency:\n  ttft: {p50: 1ms}\n")
		code, out, errOut := runRunCmd(ctx, "--config", smallConfig(dir, url, 20, 2), "--sla", sla, "--report-dir", filepath.Join(dir, "r"), "--progress", "0")
		Expect(code).To(Equal(1), out+errOut)
		Expect(out).To(MatchRegexp(`FAIL  TTFT p50 < 1ms: .*\d+(\.\d+)?ms`))
		Expect(out).To(ContainSubstring("FAIL: 1 of 4 promises broken (TTFT p50 < 1ms)")) // load, implied error rate, TTFT, evidence
	}, SpecTimeout(60*time.Second))

	It("fails the gate with Connection Error failures when the server dies mid-run", func(ctx SpecContext) {
		sla := writeSLA(dir, "error_rate: 1%\n")
		go func() { // die once the load is flowing
			for len(sim.Truths()) < 15 {
				time.Sleep(20 * time.Millisecond)
			}
			_ = sim.Close()
		}()
		code, out, errOut := runRunCmd(ctx, "--config", smallConfig(dir, url, 20, 3), "--sla", sla, "--report-dir", filepath.Join(dir, "r"), "--progress", "0")
		Expect(code).To(Equal(1), out+errOut)
		Expect(out).To(ContainSubstring("Connection Error"))
		Expect(out).To(ContainSubstring("FAIL  error rate < 1%"))
	}, SpecTimeout(60*time.Second))

	It("leaves a partial report and exits 3 (inconclusive) when interrupted", func(ctx SpecContext) {
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() { // interrupt once the load is flowing
			for len(sim.Truths()) < 10 {
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
		}()
		code, out, errOut := runRunCmd(runCtx, "--config", smallConfig(dir, url, 10, 60), "--report-dir", filepath.Join(dir, "r"), "--progress", "0")
		Expect(code).To(Equal(3), out+errOut)
		Expect(out).To(ContainSubstring("INCONCLUSIVE: "))
		Expect(errOut).To(ContainSubstring("partial run"))
		rep, err := report.ReadDir(filepath.Join(dir, "r"))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Partial).To(BeTrue())
		Expect(rep.Summary.Requests).To(BeNumerically(">", 0))
	}, SpecTimeout(60*time.Second))

	It("fails fast with the fix for a wrong model or an unreachable target", func(ctx SpecContext) {
		code, _, errOut := runRunCmd(ctx, "--config", smallConfig(dir, url, 10, 2), "--model", "nope", "--progress", "0")
		Expect(code).To(Equal(1))
		Expect(errOut).To(And(ContainSubstring(`does not serve model "nope"`), ContainSubstring("TAILGATE_MODEL")))
		code, _, errOut = runRunCmd(ctx, "--config", smallConfig(dir, "http://127.0.0.1:1", 10, 2), "--progress", "0")
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring("unreachable"))
	}, SpecTimeout(60*time.Second))

	It("writes per-request records when the scenario asks for them", func(ctx SpecContext) {
		cfg := smallConfig(dir, url, 10, 1)
		f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
		Expect(err).NotTo(HaveOccurred())
		_, err = f.WriteString("report: {request_lifecycle: {per_request: true}}\n")
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Close()).To(Succeed())
		code, out, errOut := runRunCmd(ctx, "--config", cfg, "--report-dir", filepath.Join(dir, "r"), "--progress", "0")
		Expect(code).To(Equal(0), out+errOut)
		data, err := os.ReadFile(filepath.Join(dir, "r", "per_request_lifecycle_metrics.json"))
		Expect(err).NotTo(HaveOccurred())
		var recs []struct {
			RequestID string `json:"request_id"`
			Info      struct {
				InputTokens int `json:"input_tokens"`
				ServerUsage struct {
					PromptTokens int `json:"prompt_tokens"`
				} `json:"server_usage"`
			} `json:"info"`
		}
		Expect(json.Unmarshal(data, &recs)).To(Succeed())
		Expect(recs).To(HaveLen(10))
		for _, r := range recs {
			_, seen := sim.Truth(r.RequestID)
			Expect(seen).To(BeTrue(), r.RequestID)
			Expect(r.Info.InputTokens).To(BeNumerically(">=", 16))
		}
	}, SpecTimeout(60*time.Second))

	It("exits 2 on usage errors", func(ctx SpecContext) {
		for _, args := range [][]string{
			{},
			{"--scenario", "production", "--config", "x.yml"},
			{"--scenario", "nosuch"},
			{"--scenario", "production", "--rate", "fast"},
			{"--scenario", "production", "--sla", filepath.Join(dir, "missing.yaml")},
			{"--bogus"},
		} {
			code, _, errOut := runRunCmd(ctx, args...)
			Expect(code).To(Equal(2), "%v: %s", args, errOut)
		}
	})
})
