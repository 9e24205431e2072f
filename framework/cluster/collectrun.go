package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"
)

// uploadFailure matches the lines inference-perf and boto3 log when an upload fails.
var uploadFailure = regexp.MustCompile(`(?i)(AccessDenied|NoCredentialsError|Unable to locate credentials|InvalidAccessKeyId|ExpiredToken|failed to upload|upload failed|S3UploadFailedError|ClientError)`)

// collectFiles writes the run's report files into dir and says where they came from.
// With S3 storage the bucket is read first; when it has nothing (or cannot be read) the
// pod log, which the Job's script always prints the files into, is the fallback. When
// both fail the error says which side lacked access.
func (r *JobRunner) collectFiles(ctx context.Context, k *kube, ref jobRef, prep preparedRun, dir string) (string, error) {
	if prep.s3 == nil || ref.shard != "" { // a shard's report is read from its pod's log
		names, tail, err := r.collectFromLog(ctx, k.clients, ref, dir)
		if err != nil {
			return "", &RunError{Namespace: ref.ns, Job: ref.name, Reason: "collect the report from the pod log", Logs: tail, Err: err}
		}
		if len(names) == 0 {
			return "", &RunError{Namespace: ref.ns, Job: ref.name, Reason: "the pod log holds no report files", Logs: tail}
		}
		return fmt.Sprintf("pod log of job %s/%s (%s)", ref.ns, ref.name, strings.Join(names, ", ")), nil
	}
	loc := *prep.s3
	n, s3err := DownloadS3Reports(ctx, r.S3, loc, dir)
	if s3err == nil {
		return fmt.Sprintf("s3://%s/%s (%d files, job %s/%s)", loc.Bucket, loc.Prefix, n, ref.ns, ref.name), nil
	}
	r.progress("S3 gave no report (%v); reading the pod log instead", s3err)
	names, tail, logErr := r.collectFromLog(ctx, k.clients, ref, dir)
	if logErr == nil && len(names) > 0 {
		return fmt.Sprintf("pod log of job %s/%s (%s; S3 had none: %v)", ref.ns, ref.name, strings.Join(names, ", "), s3err), nil
	}
	if logErr == nil {
		logErr = errors.New("the pod log holds no report files")
	}
	return "", &RunError{Namespace: ref.ns, Job: ref.name, Logs: tail,
		Reason: "collect the report: " + r.s3Diagnosis(ref, loc, s3err, tail),
		Err:    errors.Join(s3err, fmt.Errorf("pod log: %w", logErr))}
}

// s3Diagnosis says which side lacked access to the bucket: the host that reads it, or
// the Job that should have written it.
func (r *JobRunner) s3Diagnosis(ref jobRef, loc S3Location, s3err error, tail string) string {
	bucket := "s3://" + loc.Bucket + "/" + loc.Prefix
	if hostLacksAccess(s3err) {
		return fmt.Sprintf("this host cannot read %s (its AWS credentials are missing or not allowed s3:ListBucket/s3:GetObject; set them in the environment or JobRunner.S3), and the pod log has no report either", bucket)
	}
	role := "no IRSA role (set TAILGATE_IRSA_ROLE_ARN)"
	if r.Benchmark.IRSARoleARN != "" {
		role = "IRSA role " + r.Benchmark.IRSARoleARN
	}
	sa := cmp.Or(r.Benchmark.ServiceAccountName, "inference-perf")
	msg := fmt.Sprintf("the Job wrote nothing to %s: its pod (ServiceAccount %s/%s, %s) likely may not s3:PutObject there, and inference-perf only logs upload errors", bucket, ref.ns, sa, role)
	var hits []string
	for _, line := range strings.Split(tail, "\n") {
		if uploadFailure.MatchString(line) {
			hits = append(hits, strings.TrimSpace(line))
		}
	}
	if len(hits) > 0 {
		msg += "; the pod log says: " + strings.Join(hits, " | ")
	}
	return msg + "; and the pod log has no report either"
}

// hostLacksAccess reports whether an S3 error means the reading side has no access:
// no credentials, or credentials the bucket refuses.
func hostLacksAccess(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "AllAccessDisabled", "Forbidden":
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "no EC2 IMDS role found") ||
		strings.Contains(msg, "StatusCode: 403")
}
