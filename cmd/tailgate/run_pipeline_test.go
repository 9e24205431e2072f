package main

import (
	"context"
	"encoding/xml"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/matchers"
	"github.com/tailgate-dev/tailgate/scenarios"
)

// failingServer is an OpenAI-compatible server on loopback that lists model
// "m" and answers every completion with HTTP 500.
func failingServer() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/v1/models" {
			_, _ = w.Write([]byte(`{"object":"list","data":[{"id":"m","object":"model"}]}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"message":"boom","type":"server_error"}}`))
	})}
	go func() { _ = srv.Serve(ln) }()
	DeferCleanup(srv.Close)
	return "http://" + ln.Addr().String()
}

// relaxedLoad are delivered-load bounds for specs about outputs rather than
// load delivery, which run on machines shared with other work.
const relaxedLoad = "load: {max_schedule_lag_p50: 100ms, max_schedule_lag_p99: 2s}\n"

// fastSimulator starts a fixed-timing simulated vLLM serving model "m" and returns its URL.
func fastSimulator(ctx context.Context) string {
	prof := mockvllm.FixedProfile(20*time.Millisecond, 2*time.Millisecond)
	sim, err := mockvllm.Start(context.WithoutCancel(ctx), mockvllm.Options{Model: "m", CustomProfile: &prof})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sim.Close)
	return sim.URL()
}

type cliJUnit struct {
	Suites []struct {
		Cases []struct {
			Name      string    `xml:"name,attr"`
			Failure   *struct{} `xml:"failure"`
			Error     *struct{} `xml:"error"`
			SystemOut string    `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// validJUnit checks a JUnit file against junit-10.xsd with xmllint and parses it.
func validJUnit(path string) cliJUnit {
	GinkgoHelper()
	out, err := exec.Command("xmllint", "--noout", "--schema", filepath.Join("testdata", "junit-10.xsd"), path).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s does not validate:\n%s", path, out)
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var j cliJUnit
	Expect(xml.Unmarshal(data, &j)).To(Succeed())
	Expect(j.Suites).To(HaveLen(1))
	return j
}

var _ = Describe("tailgate run, judged and saved like a suite", func() {
	var dir, url string

	BeforeEach(func(ctx SpecContext) { dir, url = GinkgoT().TempDir(), fastSimulator(ctx) })

	It("exits non-zero without an SLA when every request fails", func(ctx SpecContext) {
		code, out, errOut := runRunCmd(ctx, "--config", smallConfig(dir, failingServer(), 10, 2), "--report-dir", filepath.Join(dir, "r"), "--progress", "0")
		Expect(code).To(Equal(framework.ExitFail), out+errOut)
		Expect(out).To(MatchRegexp(`FAIL +error rate`))
		Expect(out).NotTo(ContainSubstring("PASS: "))
	}, SpecTimeout(60*time.Second))

	It("writes junit.xml and summary.md; a broken promise is <failure> and exit 1", func(ctx SpecContext) {
		// Relaxed load bounds: this spec is about the outputs, on a shared machine.
		sla := writeSLA(dir, "latency:\n  ttft: {p50: 1ms}\n  request_latency: {p50: 10s}\n"+relaxedLoad)
		code, out, errOut := runRunCmd(ctx, "--config", smallConfig(dir, url, 20, 2), "--sla", sla, "--report-dir", filepath.Join(dir, "r"), "--progress", "0")
		Expect(code).To(Equal(framework.ExitFail), out+errOut)
		Expect(out).To(MatchRegexp(`PASS +request latency p50 < 10s: \d+(\.\d+)?ms, \d+% under`))
		j := validJUnit(filepath.Join(dir, "r", "junit.xml"))
		outcome := map[string]string{}
		for _, c := range j.Suites[0].Cases {
			switch {
			case c.Failure != nil:
				outcome[c.Name] = "failure"
			case c.Error != nil:
				outcome[c.Name] = "error"
			default:
				outcome[c.Name] = "ok " + c.SystemOut
			}
		}
		Expect(outcome).To(HaveKeyWithValue("TTFT p50 < 1ms", "failure"))
		Expect(outcome).To(HaveKeyWithValue("request latency p50 < 10s", MatchRegexp(`^ok request latency p50 < 10s: \d+(\.\d+)?ms, \d+% under`)))
		summary, err := os.ReadFile(filepath.Join(dir, "r", "summary.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(summary)).To(And(ContainSubstring("gate: FAIL"), MatchRegexp(`\| request latency p50 < 10s \| PASS \| \d+(\.\d+)?ms, \d+% under`)))

		By("judging the saved report again gives the verdicts the command printed")
		rep, err := report.ReadDir(filepath.Join(dir, "r"))
		Expect(err).NotTo(HaveOccurred())
		loaded, err := matchers.LoadSLA(sla)
		Expect(err).NotTo(HaveOccurred())
		for _, v := range framework.Judge(loaded, rep, scenarios.Config{}) {
			Expect(out).To(MatchRegexp(`(?m)^%s +%s`, strings.ToUpper(string(v.Outcome)), regexp.QuoteMeta(v.Promise)))
		}
	}, SpecTimeout(60*time.Second))

	It("exits 3, not 1, and writes <error> when the load was not delivered", func(ctx SpecContext) {
		sla := writeSLA(dir, "latency:\n  ttft: {p50: 10s}\nload: {max_schedule_lag_p50: 1ns}\n")
		code, out, errOut := runRunCmd(ctx, "--config", smallConfig(dir, url, 20, 2), "--sla", sla, "--report-dir", filepath.Join(dir, "r"), "--progress", "0")
		Expect(code).To(Equal(framework.ExitInconclusive), out+errOut)
		Expect(out).To(And(ContainSubstring("INCONCLUSIVE: "), ContainSubstring("change: "), ContainSubstring("quieter runner")))
		j := validJUnit(filepath.Join(dir, "r", "junit.xml"))
		for _, c := range j.Suites[0].Cases {
			Expect(c.Failure).To(BeNil(), c.Name)
			if c.Name != framework.EvidencePromise {
				Expect(c.Error).NotTo(BeNil(), c.Name)
			}
		}
	}, SpecTimeout(60*time.Second))

	It("names the flag, not the variable, when a flag's value is wrong", func(ctx SpecContext) {
		GinkgoT().Setenv(framework.EnvRate, "")
		code, _, errOut := runRunCmd(ctx, "--scenario", "production", "--rate", "fast")
		Expect(code).To(Equal(framework.ExitUsage))
		Expect(errOut).To(ContainSubstring(`--rate="fast"`))
		Expect(errOut).NotTo(ContainSubstring(framework.EnvRate + "="))
		GinkgoT().Setenv(framework.EnvDuration, "soon")
		code, _, errOut = runRunCmd(ctx, "--scenario", "production")
		Expect(code).To(Equal(framework.ExitUsage))
		Expect(errOut).To(ContainSubstring(framework.EnvDuration + `="soon"`))
	})
})

var _ = Describe("the report directory", func() {
	var dir, url string

	BeforeEach(func(ctx SpecContext) { dir, url = GinkgoT().TempDir(), fastSimulator(ctx) })

	// plantPrevious leaves a passing report of an earlier, longer run in r.
	plantPrevious := func(r string) {
		Expect(os.MkdirAll(r, 0o755)).To(Succeed())
		for name, body := range map[string]string{
			"stage_0_lifecycle_metrics.json": "{}", "stage_7_lifecycle_metrics.json": "{}",
			"summary.md": "## tailgate gate: PASS\n", "junit.xml": "<testsuites/>", "notes.txt": "the user's own file",
		} {
			Expect(os.WriteFile(filepath.Join(r, name), []byte(body), 0o644)).To(Succeed())
		}
	}

	It("holds only the new run's files: stale stage files are removed, other files kept", func(ctx SpecContext) {
		r := filepath.Join(dir, "r")
		plantPrevious(r)
		sla := writeSLA(dir, "error_rate: 1%\n"+relaxedLoad)
		code, out, errOut := runRunCmd(ctx, "--config", smallConfig(dir, url, 10, 1), "--sla", sla, "--report-dir", r, "--progress", "0")
		Expect(code).To(Equal(0), out+errOut)
		Expect(filepath.Join(r, "stage_7_lifecycle_metrics.json")).NotTo(BeAnExistingFile())
		Expect(filepath.Join(r, report.InProgressFile)).NotTo(BeAnExistingFile())
		Expect(filepath.Join(r, "notes.txt")).To(BeAnExistingFile())
		entries, err := os.ReadDir(r)
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		Expect(names).To(ContainElements("notes.txt", "summary_lifecycle_metrics.json", "stage_0_lifecycle_metrics.json",
			"junit.xml", "summary.md", "verdict.json", "report.html", "stage_0_timeline.jsonl", "stage_0_time_to_first_token.hlog", "experiment.json"))
		Expect(names).To(HaveEach(Or(Equal("notes.txt"), Equal("junit.xml"), Equal("summary.md"), Equal("verdict.json"), Equal("experiment.json"),
			Equal("report.html"), MatchRegexp(`^(summary|stage_0)_(lifecycle|prometheus)_metrics\.json$`),
			MatchRegexp(`^stage_0_.*\.hlog$`), Equal("stage_0_timeline.jsonl"), Equal(report.ServerTimelineFile))), "only this run's files and the user's own")
		rep, err := report.ReadDir(r)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Stages).To(HaveLen(1))
	}, SpecTimeout(60*time.Second))

	It("is inconclusive (exit 3) when the evidence cannot be saved", func(ctx SpecContext) {
		plain := filepath.Join(dir, "plain")
		Expect(os.WriteFile(plain, []byte("x"), 0o644)).To(Succeed())
		code, out, errOut := runRunCmd(ctx, "--config", smallConfig(dir, url, 10, 1), "--report-dir", filepath.Join(plain, "r"), "--progress", "0")
		Expect(code).To(Equal(framework.ExitInconclusive), out+errOut)
		Expect(out).To(And(MatchRegexp(`INCONCLUSIVE +evidence saved: evidence not saved: .*not a directory`), ContainSubstring("writable directory")))
	}, SpecTimeout(60*time.Second))

	It("is inconclusive (exit 3) and keeps the in-progress marker when the disk is full", func(ctx SpecContext) {
		mnt := filepath.Join(dir, "small")
		Expect(os.Mkdir(mnt, 0o755)).To(Succeed())
		// A 16 KiB tmpfs: room for the in-progress marker, not for the report files.
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", mnt).CombinedOutput(); err != nil {
			Skip("mounting a small tmpfs needs root: " + strings.TrimSpace(string(out)))
		}
		DeferCleanup(func() { _ = exec.Command("umount", mnt).Run() })
		code, out, errOut := runRunCmd(ctx, "--config", smallConfig(dir, url, 10, 1), "--report-dir", mnt, "--progress", "0")
		Expect(code).To(Equal(framework.ExitInconclusive), out+errOut)
		Expect(out).To(MatchRegexp(`INCONCLUSIVE +evidence saved: evidence not saved: .*no space left on device`))
		Expect(filepath.Join(mnt, report.InProgressFile)).To(BeAnExistingFile())
	}, SpecTimeout(60*time.Second))

	It("after kill -9 mid-run shows the in-progress marker, not the previous passing report", func(ctx SpecContext) {
		bin := filepath.Join(dir, "tailgate")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
		buildOut, err := build.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(buildOut))
		r := filepath.Join(dir, "r")
		plantPrevious(r)
		cmd := exec.Command(bin, "run", "--config", smallConfig(dir, url, 10, 60), "--report-dir", r, "--progress", "200ms")
		s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
		Expect(err).NotTo(HaveOccurred())
		Eventually(s.Err).WithTimeout(30 * time.Second).Should(gbytes.Say(`stage 1/1`))
		s.Kill()
		Eventually(s).WithTimeout(10 * time.Second).Should(gexec.Exit())
		Expect(filepath.Join(r, report.InProgressFile)).To(BeAnExistingFile())
		for _, stale := range []string{"summary.md", "junit.xml", "stage_0_lifecycle_metrics.json", "stage_7_lifecycle_metrics.json"} {
			Expect(filepath.Join(r, stale)).NotTo(BeAnExistingFile(), stale)
		}
		_, err = report.ReadDir(r)
		Expect(err).To(HaveOccurred(), "a directory with only the marker is not a report")
	}, SpecTimeout(3*time.Minute))
})
