package browser_test

import (
	"flag"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// screenshotDir, when set (go test ./framework/report/browser -args -screenshot DIR),
// keeps the report directory of the browser specs in DIR with a report.png
// screenshot of the page, so a person can look at it.
var screenshotDir = flag.String("screenshot", "", "keep the report directory here, with a report.png screenshot")

func TestBrowser(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "report in the browser")
}
