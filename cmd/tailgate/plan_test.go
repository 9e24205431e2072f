package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/study"
)

var _ = Describe("tailgate plan", func() {
	plan := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := dispatch(context.Background(), append([]string{"plan"}, args...), stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
		return code, out.String(), errOut.String()
	}

	It("prints each percentile promise's minimum duration at the scenario's rate", func() {
		code, out, errOut := plan("--scenario", "production", "--sla", "../../matchers/testdata/production-sla.yaml")
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(ContainSubstring("minimum stage duration at 15 req/s"))
		Expect(out).To(MatchRegexp(`time_to_first_token p99 < 200ms\s+1000\s+1m7s`))
		Expect(out).To(MatchRegexp(`request_latency p95 < 1.3s\s+200\s+14s`))
	})

	It("names the missing flag", func() {
		code, _, errOut := plan("--scenario", "production")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--sla is required"))
	})
})

var _ = Describe("tailgate plan for regression promises", func() {
	plan := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := dispatch(context.Background(), append([]string{"plan"}, args...), stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
		return code, out.String(), errOut.String()
	}
	slaFile := func(body string) string {
		p := filepath.Join(GinkgoT().TempDir(), "sla.yaml")
		Expect(os.WriteFile(p, []byte(body), 0o644)).To(Succeed())
		return p
	}

	It("prints the duration for 95% power at the tolerance from the study's spread when no baseline exists", func() {
		code, out, errOut := plan("--scenario", "production", "--sla", slaFile("regression:\n  latency:\n    ttft: {p99: 10%}\n"))
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(MatchRegexp(`time_to_first_token p99 within \+10% of the baseline\s+1000 per run\s+1m7s to be judged; \S+ per run for 95% power at \+10% \(the verdict study's spread`))
	})

	It("prints it from the baseline's own spread, longer for a tighter tolerance", func() {
		base := filepath.Join(GinkgoT().TempDir(), "base")
		r, err := study.Run(mockvllm.Qwen3_8B_H100(), study.Production(120*time.Second, 1))
		Expect(err).NotTo(HaveOccurred())
		Expect(report.WriteDir(base, r)).To(Succeed())
		code, out, errOut := plan("--scenario", "production", "--baseline", base,
			"--sla", slaFile("regression:\n  latency:\n    ttft: {p99: 10%, p90: 20%}\n    request_latency: {p99: 5%}\n    itl: {p99: 10%}\n"))
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(ContainSubstring("95% power unknown: "+base+": its timeline does not hold the inter_token_latency per interval"),
			"the simulator pools ITL gaps without their times: no spread between runs can be read from it")
		re := regexp.MustCompile(`for 95% power at \+(\d+)% \(the baseline's own spread: log SE ([0-9.]+) over 2m0s\)`)
		Expect(re.FindAllStringSubmatch(out, -1)).To(HaveLen(3), out)
		durations := regexp.MustCompile(`; (\S+) per run for 95% power`).FindAllStringSubmatch(out, -1)
		Expect(durations).To(HaveLen(3))
		p99, err := time.ParseDuration(durations[0][1])
		Expect(err).NotTo(HaveOccurred())
		p90, err := time.ParseDuration(durations[1][1])
		Expect(err).NotTo(HaveOccurred())
		Expect(p90).To(BeNumerically("<", p99), "P90 varies less than P99 and its tolerance is wider")
	})

	It("names the baseline directory it cannot read", func() {
		code, _, errOut := plan("--scenario", "production", "--baseline", "/nonexistent/base",
			"--sla", slaFile("regression:\n  latency:\n    ttft: {p99: 10%}\n"))
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--baseline"))
		Expect(errOut).To(ContainSubstring("/nonexistent/base"))
	})
})
