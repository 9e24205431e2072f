package baseline_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/suites/gate"
)

// flags are the -tailgate.* flags of the settings and of every runner (the
// Kubernetes Job runners included); each defaults to its TAILGATE_* variable.
var flags = gate.RegisterFlags(flag.CommandLine)

func TestBaseline(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tailgate baseline gate")
}

var _ = gate.Declare(gate.Input{Scenario: "baseline", SLAFile: "sla.yaml", Flags: flags})
