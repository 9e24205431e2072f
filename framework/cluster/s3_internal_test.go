package cluster

import (
	"bytes"
	"context"
	"net/http"
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

	"github.com/tailgate-dev/tailgate/framework/report"
	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("the S3 collector, against an S3-compatible server on loopback", func() {
	var (
		endpoint string
		client   *s3.Client
		opts     S3Options
	)

	BeforeEach(func(ctx SpecContext) {
		srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
		DeferCleanup(srv.Close)
		endpoint = srv.URL
		creds := credentials.NewStaticCredentialsProvider("test-key", "test-secret", "")
		opts = S3Options{Endpoint: endpoint, Region: "us-east-1", UsePathStyle: true, Credentials: creds}
		client = s3.New(s3.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1", UsePathStyle: true, Credentials: creds})
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("inference-perf-results")})
		Expect(err).NotTo(HaveOccurred())
	})

	put := func(ctx context.Context, key string, body []byte) {
		GinkgoHelper()
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("inference-perf-results"), Key: aws.String(key), Body: bytes.NewReader(body)})
		Expect(err).NotTo(HaveOccurred())
	}

	// s3Scenario stores its reports in the bucket the way the AI-on-EKS guide does.
	s3Scenario := func() scenarios.Config {
		cfg := scenarios.Production()
		cfg.Server.BaseURL = "http://qwen3-vllm.default:8000"
		cfg.Storage = &scenarios.StorageConfig{LocalStorage: &scenarios.LocalStorageConfig{Path: "reports"}, SimpleStorageService: &scenarios.S3StorageConfig{
			BucketName: "inference-perf-results", Path: "production-sim/results",
			EndpointURL: aws.String(endpoint), AddressingStyle: aws.String("path")}}
		return cfg
	}

	It("gives each run its own S3 path and downloads only that run's report files", func(ctx SpecContext) {
		prep, err := prepareScenario(s3Scenario(), "tailgate-bench-1234")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(prep.config)).To(ContainSubstring("path: production-sim/results/tailgate-bench-1234"))
		Expect(prep.s3).NotTo(BeNil())
		Expect(prep.s3.Prefix).To(Equal("production-sim/results/tailgate-bench-1234/"))
		Expect(prep.s3.Endpoint).To(Equal(endpoint))

		// What inference-perf uploads for this run (JSON bodies; config.yaml as JSON too)...
		files, err := filepath.Glob("testdata/one-stage-92rps/*.json")
		Expect(err).NotTo(HaveOccurred())
		for _, f := range files {
			put(ctx, prep.s3.Prefix+filepath.Base(f), mustRead(f))
		}
		put(ctx, prep.s3.Prefix+"config.yaml", []byte(`{"load": {}}`))
		// ...and what must not be mixed in: an older run under the same base path, a nested key.
		put(ctx, "production-sim/results/summary_lifecycle_metrics.json", mustRead("testdata/inference-perf-v0.2.0/summary_lifecycle_metrics.json"))
		put(ctx, prep.s3.Prefix+"old/summary_lifecycle_metrics.json", mustRead("testdata/inference-perf-v0.2.0/summary_lifecycle_metrics.json"))

		dir := GinkgoT().TempDir()
		n, err := DownloadS3Reports(ctx, S3Options{Credentials: opts.Credentials, Region: "us-east-1"}, *prep.s3, dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(2))
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(2))
		rep, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Summary.Successes).To(BeEquivalentTo(5531))
		Expect(rep.Stages).To(HaveLen(1))
	})

	It("fails when the run uploaded nothing (inference-perf only logs upload errors)", func(ctx SpecContext) {
		prep, err := prepareScenario(s3Scenario(), "tailgate-bench-empty")
		Expect(err).NotTo(HaveOccurred())
		_, err = DownloadS3Reports(ctx, opts, *prep.s3, GinkgoT().TempDir())
		Expect(err).To(MatchError(ContainSubstring("no report files under s3://inference-perf-results/production-sim/results/tailgate-bench-empty/")))
	})

	It("tells a host without access to the bucket from a Job that uploaded nothing", func(ctx SpecContext) {
		denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`))
		}))
		DeferCleanup(denied.Close)
		loc := S3Location{Bucket: "inference-perf-results", Prefix: "runs/tailgate-bench-1/"}
		r := &JobRunner{Benchmark: BenchmarkInput{ServiceAccountName: "bench-sa"}}
		ref := jobRef{ns: "tailgate-bench-1", name: "inference-perf"}

		_, err := DownloadS3Reports(ctx, S3Options{Endpoint: denied.URL, Region: "us-east-1", UsePathStyle: true, Credentials: opts.Credentials}, loc, GinkgoT().TempDir())
		Expect(err).To(HaveOccurred())
		Expect(hostLacksAccess(err)).To(BeTrue(), "%v", err)
		Expect(r.s3Diagnosis(ref, loc, err, "")).To(HavePrefix("this host cannot read s3://inference-perf-results/runs/tailgate-bench-1/"))

		_, err = DownloadS3Reports(ctx, opts, loc, GinkgoT().TempDir())
		Expect(err).To(MatchError(ErrNoS3Reports))
		Expect(hostLacksAccess(err)).To(BeFalse())
		msg := r.s3Diagnosis(ref, loc, err, "INFO running stage 0\nbotocore.exceptions.NoCredentialsError: Unable to locate credentials")
		Expect(msg).To(ContainSubstring("the Job wrote nothing to s3://inference-perf-results/runs/tailgate-bench-1/: its pod (ServiceAccount tailgate-bench-1/bench-sa, no IRSA role"))
		Expect(msg).To(ContainSubstring("the pod log says: botocore.exceptions.NoCredentialsError: Unable to locate credentials"))
	})

	It("names the bucket setting when it is missing", func(ctx SpecContext) {
		_, err := DownloadS3Reports(ctx, opts, S3Location{Prefix: "x/"}, GinkgoT().TempDir())
		Expect(err).To(MatchError(ContainSubstring("bucket_name is empty")))
	})
})
