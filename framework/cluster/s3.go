package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Options says how the collector reaches S3. Credentials and region come from the
// default AWS chain (environment, shared config, IRSA web identity) unless set here.
type S3Options struct {
	// Endpoint overrides the S3 endpoint (an S3-compatible server); default the scenario's
	// storage.simple_storage_service.endpoint_url, then AWS.
	Endpoint string
	// Region overrides the region; default the scenario's region_name, then the AWS chain.
	Region string
	// UsePathStyle addresses buckets as <endpoint>/<bucket> (most S3-compatible servers).
	UsePathStyle bool
	// Credentials, when set, replace the default AWS chain.
	Credentials aws.CredentialsProvider
}

// ErrNoS3Reports means the bucket could be read but holds no report file for the run.
var ErrNoS3Reports = errors.New("no report files")

// S3Location is where a benchmark stores its report files in S3.
type S3Location struct {
	Bucket string
	// Prefix of the object keys, "<path>/<report_file_prefix>" without a leading slash:
	// inference-perf stores each file at <path>/<report_file_prefix><name>.
	Prefix string
	// Endpoint, Region and PathStyle as the scenario gives them (may be empty).
	Endpoint, Region string
	PathStyle        bool
}

// DownloadS3Reports downloads every *.json object under loc.Prefix into dir and returns how
// many it wrote. No object is an error: a run that uploaded nothing has no report.
func DownloadS3Reports(ctx context.Context, opts S3Options, loc S3Location, dir string) (int, error) {
	if loc.Bucket == "" {
		return 0, errors.New("s3: the scenario's storage.simple_storage_service.bucket_name is empty")
	}
	var lo []func(*awsconfig.LoadOptions) error
	region := opts.Region
	if region == "" {
		region = loc.Region
	}
	if region != "" {
		lo = append(lo, awsconfig.WithRegion(region))
	}
	if opts.Credentials != nil {
		lo = append(lo, awsconfig.WithCredentialsProvider(opts.Credentials))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return 0, fmt.Errorf("s3: aws config: %w", err)
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		endpoint = loc.Endpoint
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = opts.UsePathStyle || loc.PathStyle
	})

	prefix := strings.TrimPrefix(loc.Prefix, "/")
	n := 0
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("s3: list s3://%s/%s: %w", loc.Bucket, prefix, err)
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			// Only this run's report files: directly under the prefix, JSON. The local name
			// drops the report file prefix, so report.ReadDir finds the standard names.
			name := strings.TrimPrefix(key, prefix)
			if name == "" || strings.Contains(name, "/") || !strings.HasSuffix(name, ".json") {
				continue
			}
			if err := getObject(ctx, client, loc.Bucket, key, filepath.Join(dir, name)); err != nil {
				return n, err
			}
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("s3: %w under s3://%s/%s (did the upload fail? inference-perf only logs upload errors)", ErrNoS3Reports, loc.Bucket, prefix)
	}
	return n, nil
}

func getObject(ctx context.Context, client *s3.Client, bucket, key, dst string) error {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("s3: get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	if _, err := io.Copy(f, out.Body); err != nil {
		f.Close()
		return fmt.Errorf("s3: read s3://%s/%s: %w", bucket, key, err)
	}
	return f.Close()
}
