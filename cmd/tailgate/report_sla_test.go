package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("tailgate report --sla", func() {
	const stage3 = "testdata/h100-stage3"
	slaFile := func(body string) string {
		GinkgoHelper()
		f := filepath.Join(GinkgoT().TempDir(), "sla.yaml")
		Expect(os.WriteFile(f, []byte(body), 0o600)).To(Succeed())
		return f
	}

	It("passes a report that keeps every promise (exit 0)", func() {
		code, out, errOut := runReportCmd("--sla", slaFile("latency: {ttft: {p99: 250ms}, request_latency: {p99: 1500ms}}\n"), stage3)
		Expect(code).To(Equal(0), errOut+out)
		Expect(out).To(ContainSubstring("PASS  TTFT p99 < 250ms"))
		Expect(out).To(ContainSubstring("all 4 promises hold")) // with the implied error-rate promise
	})

	It("judges TPOT on the corrected value of an inference-perf v0.2.0 report (exit 1)", func() {
		// The file says P99 TPOT 9.62 ms; the server's real per-event TPOT is 19.39 ms.
		code, out, _ := runReportCmd("--sla", slaFile("latency: {tpot: {p99: 15ms}}\n"), stage3)
		Expect(code).To(Equal(1), out)
		Expect(out).To(ContainSubstring("NOTE  summary: TPOT corrected ×2.016"))
		Expect(out).To(MatchRegexp(`FAIL  TPOT p99 < 15ms: summary time_per_output_token p99 = 19\.39ms`))
	})

	It("refuses an ITL promise on such a report, saying why and what fixes it (exit 3)", func() {
		code, out, _ := runReportCmd("--sla", slaFile("latency: {ttft: {p99: 250ms}, itl: {p99: 1s}}\n"), stage3)
		Expect(code).To(Equal(3), out)
		Expect(out).To(ContainSubstring("PASS  TTFT p99 < 250ms"))
		Expect(out).To(ContainSubstring("INCONCLUSIVE  ITL p99 < 1s: "))
		Expect(out).To(ContainSubstring("quay.io/inference-perf/inference-perf:v0.3.0"))
	})

	It("judges the report files under an s3:// prefix", func() {
		srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
		DeferCleanup(srv.Close)
		GinkgoT().Setenv("AWS_ACCESS_KEY_ID", "test-key")
		GinkgoT().Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
		client := s3.New(s3.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider("test-key", "test-secret", "")})
		ctx := context.Background()
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("results")})
		Expect(err).NotTo(HaveOccurred())
		files, _ := filepath.Glob(stage3 + "/*.json")
		for _, f := range files {
			data, err := os.ReadFile(f)
			Expect(err).NotTo(HaveOccurred())
			_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("results"),
				Key: aws.String("production/run-1/" + filepath.Base(f)), Body: bytes.NewReader(data)})
			Expect(err).NotTo(HaveOccurred())
		}
		sla := slaFile("latency: {ttft: {p99: 250ms}}\n")
		code, out, errOut := runReportCmd("--s3-endpoint", srv.URL, "--sla", sla, "s3://results/production/run-1")
		Expect(code).To(Equal(0), errOut+out)
		Expect(out).To(ContainSubstring("PASS  TTFT p99 < 250ms"))

		code, _, errOut = runReportCmd("--s3-endpoint", srv.URL, "--sla", sla, "s3://results/production/none")
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring("no report files under s3://results/production/none/"))
	})

	It("names a bad SLA file (exit 2)", func() {
		code, _, errOut := runReportCmd("--sla", slaFile("latency: {ttft: {p99: soon}}\n"), stage3)
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring("latency.ttft.p99"))
	})
})
