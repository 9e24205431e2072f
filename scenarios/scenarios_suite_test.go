package scenarios_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// update rewrites the golden files in testdata/golden from the current code; review the
// diff before committing it.
var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

func TestScenarios(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "scenarios")
}
