// Command servelog makes the local kwok cluster serve a real inference-perf report as the
// container log of every pod in one namespace, printed the way the benchmark Job's script
// prints it. Point a benchmark run at that namespace (TAILGATE_BENCHMARK_NAMESPACE) and the
// Job runner collects and parses the report, as it would from a real inference-perf pod.
//
//	go run ./hack/controlplane/servelog -kubeconfig "$TAILGATE_TEST_KUBECONFIG" \
//	    -namespace tailgate-gate-pass -report-dir framework/cluster/testdata/one-stage-92rps
//
// It writes the log (CRI format, which kwok reads) next to the kubeconfig and creates or
// replaces the kwok ClusterLogs object "tailgate-<namespace>"; -delete removes it. With
// -pod it serves the log of that one pod only (object "tailgate-<namespace>-<pod>"), so
// each pod of a sharded run's Indexed Job can print its own shard's report.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/e2e-framework/klient/conf"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/tailgate-dev/tailgate/framework/cluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "servelog:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("servelog", flag.ContinueOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("TAILGATE_TEST_KUBECONFIG"), "kubeconfig of the kwok cluster (hack/controlplane/up.sh)")
	ns := fs.String("namespace", "", "namespace whose pods serve the log")
	reportDir := fs.String("report-dir", "", "directory of inference-perf report files (*.json)")
	extra := fs.String("text", "", "log text to serve instead of a report (e.g. a crash), lines separated by \\n")
	del := fs.Bool("delete", false, "remove the ClusterLogs object of -namespace (and -pod) and its log file")
	pod := fs.String("pod", "", "serve the log of this pod of -namespace only (one shard of an Indexed Job)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *kubeconfig == "" || *ns == "" {
		return fmt.Errorf("-kubeconfig and -namespace are required")
	}
	rc, err := conf.New(*kubeconfig)
	if err != nil {
		return err
	}
	res, err := resources.New(rc)
	if err != nil {
		return err
	}
	name := "tailgate-" + *ns
	selector := map[string]any{"matchNamespaces": []any{*ns}}
	if *pod != "" {
		name += "-" + *pod
		selector["matchNames"] = []any{*pod}
	}
	logFile := filepath.Join(filepath.Dir(*kubeconfig), "logs", strings.TrimPrefix(name, "tailgate-")+".log")
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1",
		"kind":       "ClusterLogs",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"selector": selector,
			"logs":     []any{map[string]any{"logsFile": logFile}},
		},
	}}
	if err := res.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete ClusterLogs %s: %w", name, err)
	}
	if *del {
		if err := os.Remove(logFile); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}

	var text bytes.Buffer
	switch {
	case *extra != "":
		text.WriteString(strings.ReplaceAll(*extra, `\n`, "\n"))
	case *reportDir != "":
		text.WriteString("inference-perf: report files written to /tailgate/reports\n")
		if err := cluster.WriteReportLog(&text, *reportDir); err != nil {
			return err
		}
	default:
		return fmt.Errorf("give -report-dir or -text")
	}
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(logFile, criLog(text.String()), 0o644); err != nil {
		return err
	}
	if err := res.Create(ctx, obj); err != nil {
		return fmt.Errorf("create ClusterLogs %s: %w", name, err)
	}
	if *pod != "" {
		fmt.Printf("pod %s/%s now logs %s\n", *ns, *pod, logFile)
		return nil
	}
	fmt.Printf("pods in namespace %s now log %s\n", *ns, logFile)
	return nil
}

// criLog formats text as a container log in the CRI format kubelets and kwok read.
func criLog(text string) []byte {
	var b bytes.Buffer
	ts := time.Now().UTC()
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		ts = ts.Add(time.Microsecond)
		fmt.Fprintf(&b, "%s stdout F %s\n", ts.Format(time.RFC3339Nano), line)
	}
	return b.Bytes()
}
