package servermetrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/fixtures/mockvllm"
	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/framework/servermetrics"
	"github.com/tailgate-dev/tailgate/matchers"
)

// freePort returns a loopback port nothing listens on.
func freePort() int {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPrometheus runs the prometheus binary on loopback, scraping target
// (host:port) every second, and returns its base URL once it has scraped it.
func startPrometheus(ctx context.Context, target string) string {
	GinkgoHelper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			Fail("prometheus is not installed; .ci/run installs Debian's prometheus package")
		}
		Skip("prometheus is not installed (apt-get install prometheus); skipping the real-Prometheus spec")
	}
	dir := GinkgoT().TempDir()
	cfg := fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: vllm\n    static_configs: [{targets: [%q]}]\n", target)
	Expect(os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644)).To(Succeed())
	addr := fmt.Sprintf("127.0.0.1:%d", freePort())
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	Expect(cmd.Start()).To(Succeed())
	DeferCleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	Eventually(ctx, func() (string, error) {
		resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(`up{job="vllm"}`))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	}).WithTimeout(60 * time.Second).WithPolling(500 * time.Millisecond).Should(ContainSubstring(`"1"]`))
	return base
}

var _ = Describe("querying a real Prometheus that scrapes the simulated vLLM", func() {
	It("gives the same figures as scraping /metrics directly", func(ctx SpecContext) {
		sim := simulator(ctx, func(p *mockvllm.Profile) { p.MaxNumSeqs = 4 })
		u, err := url.Parse(sim.URL())
		Expect(err).NotTo(HaveOccurred())
		prom := startPrometheus(ctx, u.Host)

		direct, err := servermetrics.Start(ctx, servermetrics.Target{URL: sim.URL() + "/metrics", Interval: 250 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		from := time.Now()
		r := &framework.NativeRunner{Prometheus: servermetrics.Prometheus{URL: prom, Selector: `{job="vllm"}`, Step: time.Second}}
		m, err := r.Run(ctx, burst(sim.URL(), 48, 12, 64))
		Expect(err).NotTo(HaveOccurred())
		rep := m.Report
		direct.Stop(ctx)
		want := direct.Window(from, time.Now())
		got := rep.Summary.Server
		Expect(got).NotTo(BeNil())
		Expect(got.Note).NotTo(ContainSubstring("prometheus http"), got.Note)
		Expect(got.Source).To(Equal(report.ServerFromPrometheus))
		Expect(got.Series).To(Equal(1))
		for _, f := range []struct{ name, stat string }{
			{report.ServerRequestCount, ""}, {report.ServerPreemptions, "total"},
			{report.ServerWaiting, "max"}, {report.ServerRunning, "max"}, {report.ServerTTFT, "count"},
		} {
			Expect(stat(got, f.name, f.stat)).To(Equal(stat(want, f.name, f.stat)), "%s %s", f.name, f.stat)
		}
		d := stat(want, report.ServerTTFT, "median")
		Expect(stat(got, report.ServerTTFT, "median")).To(BeNumerically("~", d, bucketWidth(d)))
		Expect(rep.Stages[0].Server).NotTo(BeNil())
		// The server's state at each query step, for the timeline and report.html.
		Expect(got.Samples).NotTo(BeEmpty())
		peak := 0.0
		for _, s := range got.Samples {
			peak = max(peak, s.Waiting)
		}
		Expect(peak).To(Equal(stat(got, report.ServerWaiting, "max")))
	}, SpecTimeout(3*time.Minute))

	It("sends the bearer token or the URL's basic auth, and never prints either", func(ctx SpecContext) {
		var seen []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = append(seen, r.Header.Get("Authorization"))
			if !strings.Contains(r.URL.Path, "/api/v1/query_range") {
				http.NotFound(w, r)
				return
			}
			if r.Header.Get("Authorization") == "" {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"status":"error","errorType":"unauthorized","error":"no credentials"}`)
				return
			}
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
		}))
		DeferCleanup(srv.Close)
		now := time.Now()
		_, err := servermetrics.Query(ctx, servermetrics.Prometheus{URL: srv.URL, BearerToken: "t0ken-s3cret"}, now.Add(-time.Minute), now)
		Expect(err).NotTo(HaveOccurred())
		withUser := strings.Replace(srv.URL, "http://", "http://amp:pa55word@", 1)
		_, err = servermetrics.Query(ctx, servermetrics.Prometheus{URL: withUser}, now.Add(-time.Minute), now)
		Expect(err).NotTo(HaveOccurred())
		Expect(seen).To(Equal([]string{"Bearer t0ken-s3cret", "Basic YW1wOnBhNTV3b3Jk"}))

		_, err = servermetrics.Query(ctx, servermetrics.Prometheus{URL: "http://amp:pa55word@127.0.0.1:1"}, now.Add(-time.Minute), now)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).NotTo(ContainSubstring("pa55word"))
	})

	It("leaves a server promise refused, with the reason, when Prometheus has no series for the target", func(ctx SpecContext) {
		empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
		}))
		DeferCleanup(empty.Close)
		sim := simulator(ctx, func(*mockvllm.Profile) {})
		r := &framework.NativeRunner{Prometheus: servermetrics.Prometheus{URL: empty.URL, Selector: `{job="elsewhere"}`, Step: time.Second}}
		m, err := r.Run(ctx, burst(sim.URL(), 4, 2, 8))
		rep := m.Report
		Expect(err).NotTo(HaveOccurred())
		sla, err := matchers.ParseSLA([]byte("server: {preemptions: {max: 0}}\n"), "sla.yaml")
		Expect(err).NotTo(HaveOccurred())
		ok, err := matchers.MeetSLA(sla).Match(rep)
		Expect(ok).To(BeFalse())
		Expect(errors.Is(err, matchers.ErrInconclusive)).To(BeTrue())
		Expect(err).To(MatchError(ContainSubstring(`no vLLM series matching {job="elsewhere"}`)))
	}, SpecTimeout(time.Minute))

	It("names the selector setting when the selector is not in braces", func(ctx SpecContext) {
		_, err := servermetrics.Query(ctx, servermetrics.Prometheus{URL: "http://127.0.0.1:1", Selector: `job="vllm"`}, time.Now().Add(-time.Minute), time.Now())
		Expect(err).To(MatchError(ContainSubstring("TAILGATE_PROMETHEUS_SELECTOR")))
	})
})
