package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the benchmark Job's shell script", func() {
	var (
		dir   string
		paths scriptPaths
	)
	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		paths = scriptPaths{
			config:    filepath.Join(dir, "etc", "config.yml"),
			secrets:   filepath.Join(dir, "secrets", "secrets.yml"),
			runConfig: filepath.Join(dir, "config.yml"),
			reports:   filepath.Join(dir, "reports"),
		}
		Expect(os.MkdirAll(filepath.Dir(paths.config), 0o755)).To(Succeed())
		Expect(os.WriteFile(paths.config, []byte("server:\n  type: vllm\n  base_url: http://target:8000\n"), 0o644)).To(Succeed())
	})

	runScript := func(script string, env ...string) (stdout, stderr string, code int) {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Env = append(os.Environ(), env...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return o.String(), e.String(), ee.ExitCode()
		}
		Expect(err).NotTo(HaveOccurred())
		return o.String(), e.String(), 0
	}

	run := runScript

	It("prints every report file so the collector gets them back byte for byte", func() {
		fake := "cp testdata/inference-perf-v0.2.0/*.json " + paths.reports + "/ && echo 'INFO run done'"
		out, _, code := run(benchmarkScript(fake, false, paths))
		Expect(code).To(Equal(0))
		got := GinkgoT().TempDir()
		names, err := ExtractReportFiles(bytes.NewReader([]byte(out)), got)
		Expect(err).NotTo(HaveOccurred())
		Expect(names).To(HaveLen(8))
		for _, n := range names {
			var want, have any
			Expect(json.Unmarshal(mustRead(filepath.Join("testdata/inference-perf-v0.2.0", n)), &want)).To(Succeed())
			Expect(json.Unmarshal(mustRead(filepath.Join(got, n)), &have)).To(Succeed())
			Expect(have).To(Equal(want), n)
		}
	})

	It("exits with the benchmark's status when it fails, still printing what it wrote", func() {
		fake := "cp testdata/inference-perf-v0.2.0/stage_0_lifecycle_metrics.json " + paths.reports + "/; exit 7"
		out, errOut, code := run(benchmarkScript(fake, false, paths))
		Expect(code).To(Equal(7))
		Expect(errOut).To(ContainSubstring("exited with status 7"))
		Expect(out).To(ContainSubstring("=== TAILGATE_FILE_BEGIN stage_0_lifecycle_metrics.json ==="))
	})

	It("takes the in-pod tailgate run's own verdict exits (1 broken, 3 inconclusive) as a measured run, other statuses as a crash", func() {
		for _, tc := range []struct{ status, want int }{{0, 0}, {1, 0}, {3, 0}, {2, 2}, {9, 9}} {
			stand := filepath.Join(GinkgoT().TempDir(), "tailgate")
			body := fmt.Sprintf("#!/bin/sh\nmkdir -p %[1]s && cp testdata/inference-perf-v0.2.0/*.json %[1]s/\nexit %[2]d\n", paths.reports, tc.status)
			Expect(os.WriteFile(stand, []byte(body), 0o755)).To(Succeed())
			run := strings.Replace(nativeRun(stand, ""), reportDir, paths.reports, 1)
			run = strings.Replace(run, runConfigFile, paths.runConfig, 1)
			out, _, code := runScript(benchmarkScript(run, false, paths))
			Expect(code).To(Equal(tc.want), "tailgate run exited %d", tc.status)
			Expect(out).To(ContainSubstring("TAILGATE_FILE_BEGIN summary_lifecycle_metrics.json"), "the report is printed either way")
		}
	})

	It("runs a shard of an Indexed Job with the index the Job controller gives its pod and the shared start", func() {
		stand := filepath.Join(GinkgoT().TempDir(), "tailgate")
		body := fmt.Sprintf("#!/bin/sh\necho \"args: $*\"\nmkdir -p %[1]s && cp testdata/inference-perf-v0.2.0/*.json %[1]s/\n", paths.reports)
		Expect(os.WriteFile(stand, []byte(body), 0o755)).To(Succeed())
		in := BenchmarkInput{Shards: 3, StartAt: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)}
		run := strings.Replace(nativeRun(stand, in.shardArgs()), reportDir, paths.reports, 1)
		out, _, code := runScript(benchmarkScript(run, false, paths), "JOB_COMPLETION_INDEX=2")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("--shard 2/3 --start-at 2026-12-01T15:00:00Z"))
	})

	It("fails when the benchmark exits 0 without a summary (inference-perf v0.2.0 does that)", func() {
		out, errOut, code := run(benchmarkScript("echo 'all requests failed'", false, paths))
		Expect(code).To(Equal(exitNoSummary))
		Expect(errOut).To(ContainSubstring("wrote no summary_lifecycle_metrics.json"))
		Expect(out).NotTo(ContainSubstring("TAILGATE_FILE_BEGIN"))
	})

	It("merges the secret overlay into the effective config only", func() {
		if exec.Command("python3", "-c", "import yaml").Run() != nil {
			Skip("python3 with PyYAML (present in the inference-perf image) is not installed here")
		}
		Expect(os.MkdirAll(filepath.Dir(paths.secrets), 0o755)).To(Succeed())
		Expect(os.WriteFile(paths.secrets, []byte("server:\n  api_key: sk-test-123\napi:\n  headers:\n    Authorization: Bearer abc\n"), 0o600)).To(Succeed())
		fake := "cat " + paths.runConfig + "; cp testdata/inference-perf-v0.2.0/summary_lifecycle_metrics.json " + paths.reports + "/"
		out, _, code := run(benchmarkScript(fake, true, paths))
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("api_key: sk-test-123"))
		Expect(out).To(ContainSubstring("Authorization: Bearer abc"))
		Expect(out).To(ContainSubstring("base_url: http://target:8000"))
		Expect(string(mustRead(paths.config))).NotTo(ContainSubstring("sk-test-123"))
	})

	It("uses the config as is when there is no secret overlay", func() {
		fake := "cat " + paths.runConfig + "; cp testdata/inference-perf-v0.2.0/summary_lifecycle_metrics.json " + paths.reports + "/"
		out, _, code := run(benchmarkScript(fake, true, paths))
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("base_url: http://target:8000"))
		Expect(out).NotTo(ContainSubstring("api_key"))
	})

	It("fails rather than run without the secret values when they cannot be merged", func() {
		Expect(os.MkdirAll(filepath.Dir(paths.secrets), 0o755)).To(Succeed())
		Expect(os.WriteFile(paths.secrets, []byte("server: [unclosed\n"), 0o600)).To(Succeed())
		_, errOut, code := run(benchmarkScript("echo should-not-run", true, paths))
		Expect(code).To(Equal(exitSecretMerge))
		Expect(errOut).To(ContainSubstring("could not merge the secret values"))
	})
})

func mustRead(path string) []byte {
	b, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return b
}
