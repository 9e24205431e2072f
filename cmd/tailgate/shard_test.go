package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// startSimulatorProcess runs `tailgate mock-vllm` with the fixed profile
// (every TTFT 50 ms, every gap 5 ms) and returns its URL once it answers.
func startSimulatorProcess(ctx context.Context, bin string) string {
	port := freePort()
	cmd := exec.Command(bin, "mock-vllm", "--profile", "fixed", "--ttft", "50ms", "--itl", "5ms", "--model", "m", "--port", strconv.Itoa(port))
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { s.Kill().Wait(10 * time.Second) })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	Eventually(func() error {
		resp, err := http.Get(url + "/v1/models")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}).WithContext(ctx).WithTimeout(20 * time.Second).Should(Succeed())
	return url
}

// mockConfig is a constant-rate stage of mock prompts (30 streamed tokens each).
func mockConfig(dir, url string, rate float64, seconds int) string {
	p := filepath.Join(dir, "shard-config.yml")
	Expect(os.WriteFile(p, []byte(fmt.Sprintf(`api: {type: completion, streaming: true}
data: {type: mock}
load:
  type: constant
  num_workers: 2
  base_seed: 7
  stages: [{rate: %g, duration: %d}]
server: {type: vllm, model_name: m, base_url: %s, ignore_eos: true}
`, rate, seconds, url)), 0o644)).To(Succeed())
	return p
}

// percentileCI is the 95% distribution-free interval of the q-quantile
// (normal approximation of the binomial ranks) of a histogram.
func percentileCI(d report.Distribution, q float64) (lo, hi float64) {
	GinkgoHelper()
	h, ok := d.(*report.Histogram)
	Expect(ok).To(BeTrue(), "a histogram")
	n := float64(h.Count())
	half := 1.96 * math.Sqrt(n*q*(1-q))
	l := max(int64(math.Floor(n*q-half)), 1)
	u := min(int64(math.Ceil(n*q+half))+1, h.Count())
	return h.ValueAtRank(l), h.ValueAtRank(u)
}

var _ = Describe("four shard processes against one simulator", Ordered, func() {
	var bin, url, dir string
	BeforeAll(func(ctx SpecContext) {
		dir = GinkgoT().TempDir()
		bin = filepath.Join(dir, "tailgate")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		url = startSimulatorProcess(ctx, bin)
	}, NodeTimeout(5*time.Minute))

	It("merge into one report with the request count of their sum, the full rate and the single process's TTFT", func(ctx SpecContext) {
		const rate, seconds = 80.0, 10
		cfg := mockConfig(dir, url, rate, seconds)
		sla := writeSLA(dir, relaxedLoad+"latency: {ttft: {p50: 10s}}\n")
		start := time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339Nano)
		var sessions []*gexec.Session
		var shardDirs []string
		for i := range 4 {
			d := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
			shardDirs = append(shardDirs, d)
			cmd := exec.Command(bin, "run", "--config", cfg, "--sla", sla, "--shard", fmt.Sprintf("%d/4", i), "--start-at", start, "--report-dir", d, "--progress", "0")
			s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			sessions = append(sessions, s)
		}
		for i, s := range sessions {
			Eventually(s).WithContext(ctx).WithTimeout(90*time.Second).Should(gexec.Exit(0), "shard %d", i)
		}
		merged := filepath.Join(dir, "merged")
		mergeOut, err := exec.CommandContext(ctx, bin, append([]string{"report", "--merge", "--sla", sla, "--out", merged}, shardDirs...)...).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(mergeOut))

		single := filepath.Join(dir, "single")
		code, out, errOut := runRunCmd(ctx, "--config", cfg, "--sla", sla, "--report-dir", single, "--progress", "0")
		Expect(code).To(Equal(0), out+errOut)

		m, err := report.ReadDir(merged)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.Shards).To(HaveLen(4))
		var sum int64
		for _, d := range shardDirs {
			r, err := report.ReadDir(d)
			Expect(err).NotTo(HaveOccurred())
			Expect(r.Shard.RunID).To(Equal(m.Shards[0].Shard.RunID))
			sum += r.Stages[0].Requests
		}
		s1, err := report.ReadDir(single)
		Expect(err).NotTo(HaveOccurred())
		ms, ss := m.Stages[0], s1.Stages[0]
		Expect(ms.Requests).To(Equal(sum), "merged request count = sum of the shards'")
		Expect(ms.Requests).To(Equal(ss.Requests))
		Expect(ms.Requests).To(Equal(int64(rate * seconds)))
		Expect(ms.RequestedRate).To(BeNumerically("~", rate, 1e-9))
		Expect(ms.AchievedRate).To(BeNumerically("~", rate, 0.03*rate), "achieved rate within 3%% of %g", rate)

		// The fixed profile's TTFT is nearly one value, so its sampling
		// intervals are tens of microseconds wide; each is widened by the
		// engine's TTFT accuracy on a loaded 2-core machine (2 ms at the
		// median, 5 ms in the tail, as the engine's own specs judge it), which
		// four generator processes beside the simulator spend more of.
		md, _ := ms.Distribution(report.TTFT)
		sd, _ := ss.Distribution(report.TTFT)
		for _, c := range []struct{ q, acc float64 }{{0.5, 0.002}, {0.99, 0.005}} {
			mlo, mhi := percentileCI(md, c.q)
			slo, shi := percentileCI(sd, c.q)
			GinkgoWriter.Printf("TTFT p%g: merged [%.4f, %.4f] s, single [%.4f, %.4f] s, accuracy ±%g s\n", 100*c.q, mlo, mhi, slo, shi, c.acc)
			Expect(mlo-c.acc <= shi+c.acc && slo-c.acc <= mhi+c.acc).To(BeTrue(),
				"TTFT p%g intervals overlap: merged [%g, %g], single [%g, %g], each ±%g s", 100*c.q, mlo, mhi, slo, shi, c.acc)
		}
	}, SpecTimeout(4*time.Minute))
})

var _ = Describe("tailgate report --merge", func() {
	runReportCmd := func(ctx context.Context, args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := dispatch(ctx, append([]string{"report"}, args...), stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
		return code, out.String(), errOut.String()
	}

	It("needs --out and a directory, and refuses to write into one it merges", func(ctx SpecContext) {
		code, _, errOut := runReportCmd(ctx, "--merge", "testdata/h100-stage3")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--merge needs --out DIR"))
		code, _, errOut = runReportCmd(ctx, "--merge", "--out", "testdata/h100-stage3", "testdata/h100-stage3")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("is one of the directories to merge"))
		code, _, errOut = runReportCmd(ctx, "--out", "x", "testdata/h100-stage3")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("--out is the directory --merge writes"))
	})

	It("refuses percentile-only reports with the reason and writes nothing", func(ctx SpecContext) {
		out := filepath.Join(GinkgoT().TempDir(), "merged")
		code, _, errOut := runReportCmd(ctx, "--merge", "--out", out, "testdata/h100-stage3", "testdata/h100-stage3")
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring("percentiles cannot be merged"))
		Expect(out).NotTo(BeADirectory())
	})
})
