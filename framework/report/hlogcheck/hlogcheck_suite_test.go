package hlogcheck_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// reportDir, when set (-args -dir DIR, e.g. the production suite's
// tailgate-report/production after TAILGATE_DURATION=70s go tool ginkgo run
// ./suites/production), is read instead of a fresh short production run.
var reportDir = flag.String("dir", "", "report directory to check instead of a fresh short production run")

func TestHlogcheck(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "interval logs read by hdrhistogram-go alone")
}
