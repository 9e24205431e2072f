package production_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
	"github.com/tailgate-dev/tailgate/suites/gate"
)

// flags are the -tailgate.* flags; each defaults to its TAILGATE_* variable.
var flags = framework.RegisterFlags(flag.CommandLine)

func TestProduction(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tailgate production gate")
}

var _ = gate.Declare(gate.Input{Scenario: "production", SLAFile: "sla.yaml", Flags: flags})
